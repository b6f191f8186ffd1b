import type { EntityManager } from 'typeorm';
import { Money, type Currency } from '@app/common';
import { chargedTripsRange, computeFare, type ChargedTrip, type FareBreakdown } from './domain/fare-pipeline.js';
import { farePolicyToJson, parseFarePolicy, policyAt, type FarePolicy, type FarePolicyJson, type FarePolicyVersion } from './domain/fare-policy.js';

/** SQL of fare policies and of the charged trips the fare pipeline looks back on (schema transit). */
export class PricingRepository {
  async versions(m: EntityManager, operatorId: string): Promise<FarePolicyVersion[]> {
    const rows = (await m.query(`SELECT effective_from, policy FROM transit.fare_policies WHERE operator_id = $1 ORDER BY effective_from, id`, [operatorId])) as {
      effective_from: Date;
      policy: FarePolicyJson;
    }[];
    return rows.map((r) => ({ effectiveFrom: r.effective_from, policy: parseFarePolicy(r.policy) }));
  }

  async insert(m: EntityManager, operatorId: string, policy: FarePolicy, userId: string): Promise<void> {
    await m.query(`INSERT INTO transit.fare_policies (operator_id, policy, created_by) VALUES ($1, $2, $3)`, [operatorId, JSON.stringify(farePolicyToJson(policy)), userId]);
  }

  /** Charged (or owed) trips of these riders with this operator boarded in [from, to). Callers hold the riders' locks. */
  async chargedTrips(m: EntityManager, operatorId: string, riderIds: readonly string[], from: Date, to: Date): Promise<{ rider_user_id: string; id: string; route_id: string; boarded_at: Date; fare: string }[]> {
    if (riderIds.length === 0) return [];
    return (await m.query(
      `SELECT rider_user_id, id, route_id, boarded_at, fare::text FROM transit.trips
        WHERE operator_id = $1 AND rider_user_id = ANY($2::uuid[]) AND status IN ('CHARGED', 'UNPAID') AND boarded_at >= $3 AND boarded_at < $4`,
      [operatorId, riderIds, from, to],
    )) as { rider_user_id: string; id: string; route_id: string; boarded_at: Date; fare: string }[];
  }
}

export interface Priced {
  fare: bigint;
  breakdown: { base: number; concession: number; transfer: number; cap: number };
}

/**
 * Prices the trips of one operator in a batch with the fare pipeline
 * (base -> concession -> transfer -> daily cap), each looking back on the
 * rider's trips already charged (read once for the batch, under the riders'
 * locks) and on those priced before it in the batch.
 */
export class Pricer {
  private readonly charged = new Map<string, ChargedTrip[]>();

  private constructor(
    private readonly versions: FarePolicyVersion[],
    private readonly birthDates: ReadonlyMap<string, string>,
  ) {}

  /** `birthDates`: of the riders' verified PRC IDs (identity's UsersService.birthDates), for the senior concession. */
  static async load(
    m: EntityManager,
    repo: PricingRepository,
    operatorId: string,
    riderIds: readonly string[],
    boardings: readonly Date[],
    birthDates: ReadonlyMap<string, string> = new Map(),
  ): Promise<Pricer> {
    const pricer = new Pricer(await repo.versions(m, operatorId), birthDates);
    if (boardings.length === 0 || riderIds.length === 0) return pricer;
    const ranges = boardings.map((b) => chargedTripsRange(b, policyAt(pricer.versions, b)));
    const from = new Date(Math.min(...ranges.map((r) => r.from.getTime())));
    const to = new Date(Math.max(...ranges.map((r) => r.to.getTime())));
    for (const t of await repo.chargedTrips(m, operatorId, riderIds, from, to)) pricer.add(t.rider_user_id, { tripId: t.id, routeId: t.route_id, boardedAt: t.boarded_at, fare: BigInt(t.fare) });
    return pricer;
  }

  private add(riderId: string, trip: ChargedTrip): void {
    // a trip priced again (a late tap-out) replaces what it was charged
    const list = (this.charged.get(riderId) ?? []).filter((c) => c.tripId !== trip.tripId);
    list.push(trip);
    this.charged.set(riderId, list);
  }

  /** The fare of a trip, remembered as charged for the trips priced after it. */
  price(riderId: string, trip: { id: string; routeId: string; boardedAt: Date; base: bigint; currency: Currency }): Priced {
    const policy = policyAt(this.versions, trip.boardedAt);
    const range = chargedTripsRange(trip.boardedAt, policy);
    const chargedTrips = (this.charged.get(riderId) ?? []).filter((c) => c.boardedAt >= range.from && c.boardedAt < range.to && c.tripId !== trip.id);
    const result = computeFare({
      trip: { routeId: trip.routeId, boardedAt: trip.boardedAt, base: Money.of(trip.base, trip.currency) },
      rider: { birthDate: this.birthDates.get(riderId) ?? null },
      policy,
      chargedTrips,
    });
    this.add(riderId, { tripId: trip.id, routeId: trip.routeId, boardedAt: trip.boardedAt, fare: result.fare });
    const b: FareBreakdown = result.fareBreakdown;
    return { fare: result.fare, breakdown: { base: Number(b.base), concession: Number(b.concession), transfer: Number(b.transfer), cap: Number(b.cap) } };
  }
}
