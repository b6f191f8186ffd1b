import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Currency } from '@app/common';
import { LedgerService } from '@app/ledger';
import { NotificationsService } from '@app/notifications';
import type { EntryInput, LedgerAccount } from '@app/ledger';
import type { RiderRow } from './riders.repository.js';
import { TripsRepository } from './trips.repository.js';

export interface Charge {
  tripId: string;
  riderUserId: string;
  walletAccountId: string;
  operatorId: string;
  currency: Currency;
  fare: bigint;
  description: string;
}

/** The ledger reference of a trip's fare: one per trip, so a retry cannot charge twice. */
export const tripReference = (tripId: string): string => `transit-trip:${tripId}`;

/**
 * Fares into the ledger: rider wallet -> the operator's revenue account (a
 * hot account: many concurrent credits, no row lock). Always inside the
 * caller's transaction, with the trip rows.
 */
@Injectable()
export class ChargesService {
  private readonly trips = new TripsRepository();

  constructor(
    private readonly ledger: LedgerService,
    private readonly notifications: NotificationsService,
  ) {}

  /**
   * RIDE_CHARGED or TRIP_UNPAID for each trip, in the caller's transaction
   * (an outbox: none for a batch that rolls back), keyed by the trip so each
   * is written once whatever the retries.
   */
  async notifyTrips(m: EntityManager, trips: readonly { tripId: string; riderUserId: string; status: 'CHARGED' | 'UNPAID'; fare: bigint; currency: string; routeName: string }[]): Promise<void> {
    await this.notifications.notifyMany(
      m,
      trips.map((t) => ({
        userId: t.riderUserId,
        type: t.status === 'CHARGED' ? ('RIDE_CHARGED' as const) : ('TRIP_UNPAID' as const),
        key: t.tripId,
        data: { tripId: t.tripId, fare: { amount: Number(t.fare), currency: t.currency.trim() as Currency }, routeName: t.routeName },
      })),
    );
  }

  async revenueAccount(operatorId: string, currency: Currency, m: EntityManager): Promise<string> {
    return (await this.ledger.account({ ownerType: 'ORGANIZATION', ownerId: operatorId, purpose: 'REVENUE', currency, hot: true }, m)).id;
  }

  async revenueLedgerAccount(operatorId: string, currency: Currency, m: EntityManager): Promise<LedgerAccount> {
    return this.ledger.account({ ownerType: 'ORGANIZATION', ownerId: operatorId, purpose: 'REVENUE', currency, hot: true }, m);
  }

  async walletAccount(riderUserId: string, currency: Currency, m: EntityManager): Promise<string> {
    return (await this.ledger.account({ ownerType: 'USER', ownerId: riderUserId, purpose: 'WALLET', currency }, m)).id;
  }

  private entry(c: Charge, revenue: string): EntryInput {
    return {
      reference: tripReference(c.tripId),
      kind: 'TRANSIT_FARE',
      description: c.description,
      metadata: { tripId: c.tripId, operatorId: c.operatorId },
      postings: [
        { accountId: c.walletAccountId, currency: c.currency, amount: -c.fare },
        { accountId: revenue, currency: c.currency, amount: c.fare },
      ],
    };
  }

  /**
   * Charges many trips in one ledger call: each either CHARGED or (the
   * wallet cannot pay) UNPAID; a zero fare is CHARGED with no entry. Entries
   * go in wallet-account order, the lock order every batch uses.
   */
  async chargeMany(m: EntityManager, charges: readonly Charge[]): Promise<Map<string, 'CHARGED' | 'UNPAID'>> {
    const out = new Map<string, 'CHARGED' | 'UNPAID'>();
    const paying = charges.filter((c) => (c.fare > 0n ? true : (out.set(c.tripId, 'CHARGED'), false)));
    const revenue = new Map<string, string>();
    for (const c of paying) {
      const k = `${c.operatorId}:${c.currency}`;
      if (!revenue.has(k)) revenue.set(k, await this.revenueAccount(c.operatorId, c.currency, m));
    }
    const ordered = [...paying].sort((a, b) => (a.walletAccountId < b.walletAccountId ? -1 : a.walletAccountId > b.walletAccountId ? 1 : 0));
    const results = await this.ledger.postMany(
      ordered.map((c) => this.entry(c, revenue.get(`${c.operatorId}:${c.currency}`)!)),
      m,
    );
    results.forEach((r, i) => out.set(ordered[i].tripId, 'refused' in r ? 'UNPAID' : 'CHARGED'));
    return out;
  }

  /**
   * Gives back part of trips' fares (operator revenue -> rider wallet), one
   * entry per trip (`transit-trip-refund:<trip>`, so a retry cannot refund
   * twice), in the caller's transaction. The revenue account received each
   * trip's whole fare, so a refund is never refused; if it were, the
   * ledger's books would be wrong and the batch fails.
   */
  async refundMany(m: EntityManager, refunds: readonly { tripId: string; walletAccountId: string; operatorId: string; currency: Currency; amount: bigint; description: string }[]): Promise<void> {
    if (refunds.length === 0) return;
    const entries: EntryInput[] = [];
    for (const r of refunds) {
      entries.push({
        reference: `transit-trip-refund:${r.tripId}`,
        kind: 'TRANSIT_FARE_REFUND',
        description: r.description,
        metadata: { tripId: r.tripId, operatorId: r.operatorId },
        postings: [
          { accountId: await this.revenueAccount(r.operatorId, r.currency, m), currency: r.currency, amount: -r.amount },
          { accountId: r.walletAccountId, currency: r.currency, amount: r.amount },
        ],
      });
    }
    const refused = (await this.ledger.postMany(entries, m)).filter((r) => 'refused' in r);
    if (refused.length > 0) throw new Error(`operator revenue could not refund ${refused.map((r) => r.reference).join(', ')}`);
  }

  /** One charge that must succeed (402 InsufficientFundsError otherwise, rolling back the caller's transaction). */
  async chargeOne(m: EntityManager, c: Charge): Promise<void> {
    if (c.fare === 0n) return;
    await this.ledger.post(this.entry(c, await this.revenueAccount(c.operatorId, c.currency, m)), m);
  }

  /** Pays a rider's UNPAID trips (locked) from the wallet, all or nothing. */
  async payUnpaid(m: EntityManager, rider: RiderRow): Promise<{ count: number; totals: { amount: number; currency: string }[] }> {
    const unpaid = await this.trips.unpaidOf(m, rider.user_id);
    const totals = new Map<string, bigint>();
    for (const t of unpaid) {
      const currency = t.currency.trim() as Currency;
      const fare = BigInt(t.fare ?? '0');
      const wallet = currency === 'CNY' ? rider.wallet_account_id : await this.walletAccount(rider.user_id, currency, m);
      await this.chargeOne(m, { tripId: t.id, riderUserId: rider.user_id, walletAccountId: wallet, operatorId: t.operator_id, currency, fare, description: 'Bus fare (arrears)' });
      totals.set(currency, (totals.get(currency) ?? 0n) + fare);
    }
    await this.trips.markPaid(
      m,
      unpaid.map((t) => t.id),
      new Date(),
    );
    const result = { count: unpaid.length, totals: [...totals].map(([currency, amount]) => ({ amount: Number(amount), currency })) };
    if (unpaid.length > 0) {
      // once per clearing: the trips it paid are paid only once
      const key = createHash('sha256').update(unpaid.map((t) => t.id).sort().join(',')).digest('hex');
      const amount = result.totals.find((t) => t.currency === 'CNY') ?? result.totals[0];
      await this.notifications.notify(m, { userId: rider.user_id, type: 'ARREARS_CLEARED', key, data: { amount: { amount: amount.amount, currency: amount.currency as Currency }, totals: result.totals, trips: unpaid.length } });
    }
    return result;
  }
}
