import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { decodeCursor, encodeCursor, IdempotencyService, NotFoundError, shanghaiDayRange, UUID } from '@app/common';
import type { Currency, Page } from '@app/common';
import { withTransactionRetry } from '@app/database';
import { UsersService } from '@app/identity';
import { EmvError, readVehicleSticker } from '@app/paycode';
import { PaymentOrdersService, PaymentPurposes, paymentOrderView, type CaptureDecision, type PaymentOrder, type PaymentOrderView, type ProviderCode } from '@app/payments';
import { overdueBefore } from './domain/tap-rules.js';
import { ChargesService, type Charge } from './charges.service.js';
import { Pricer, PricingRepository } from './pricing.js';
import { RidersRepository } from './riders.repository.js';
import { RidersService } from './riders.service.js';
import { fareOf, RoutesRepository } from './routes.repository.js';
import { InArrearsError, InvalidQrError } from './transit.errors.js';
import { TripsRepository, type TripRow, type TripWrite } from './trips.repository.js';

export interface TripView {
  id: string;
  routeCode: string;
  boardedAt: string;
  alightedAt?: string;
  fare: { amount: number; currency: string } | null;
  fareBreakdown: Record<string, number> | null;
  status: TripRow['status'];
  method: string;
  vehicleId?: string;
  chargedAt?: string;
  paymentOrderId?: string;
}

export interface RouteSettlement {
  routeCode: string;
  routeId: string;
  count: number;
  total: { amount: number; currency: string };
}

const OVERDUE_BATCH = 500;

/** The payment-order purpose of a scan-to-pay fare paid through a provider. */
export const TRANSIT_FARE_PURPOSE = 'TRANSIT_FARE';

export type ScanMethod = 'WALLET' | ProviderCode;

export interface ScanResult {
  tripId: string;
  fare: { amount: number; currency: string };
  fareBreakdown: Record<string, number>;
  status: 'CHARGED' | 'PENDING';
  method: ScanMethod;
  paymentOrderId?: string;
  providerAmount?: PaymentOrderView['providerAmount'];
  checkout?: PaymentOrderView['checkout'];
}

const tripView = (t: TripRow): TripView => ({
  id: t.id,
  routeCode: t.route_code!,
  boardedAt: t.boarded_at.toISOString(),
  ...(t.alighted_at ? { alightedAt: t.alighted_at.toISOString() } : {}),
  fare: t.fare === null ? null : { amount: Number(t.fare), currency: t.currency.trim() },
  fareBreakdown: t.fare_breakdown,
  status: t.status,
  method: t.method,
  ...(t.vehicle_id ? { vehicleId: t.vehicle_id } : {}),
  ...(t.charged_at ? { chargedAt: t.charged_at.toISOString() } : {}),
  ...(t.payment_order_id ? { paymentOrderId: t.payment_order_id } : {}),
});

/** Trips: history, operator settlements, scan-to-pay at the bus door, and the missing tap-out job. */
@Injectable()
export class TripsService implements OnModuleInit {
  private readonly logger = new Logger('Transit');
  private readonly trips = new TripsRepository();
  private readonly routes = new RoutesRepository();
  private readonly riderRepo = new RidersRepository();
  private readonly pricing = new PricingRepository();

  constructor(
    private readonly dataSource: DataSource,
    private readonly charges: ChargesService,
    private readonly riders: RidersService,
    private readonly idempotency: IdempotencyService,
    private readonly users: UsersService,
    private readonly orders: PaymentOrdersService,
    private readonly purposes: PaymentPurposes,
  ) {}

  async history(userId: string, limit: number, cursor?: string): Promise<Page<TripView>> {
    const after = cursor ? decodeCursor<{ b: string; id: string }>(cursor, ['b', 'id']) : undefined;
    if (after && (Number.isNaN(Date.parse(after.b)) || !/^[0-9a-f-]{36}$/.test(after.id))) throw new NotFoundError('No such cursor');
    const rows = await this.trips.history(this.dataSource.manager, userId, limit + 1, after);
    const more = rows.length > limit;
    const items = (more ? rows.slice(0, limit) : rows).map(tripView);
    const last = items[items.length - 1];
    return { items, nextCursor: more ? encodeCursor({ b: last.boardedAt, id: last.id }) : null };
  }

  /**
   * What the rider owes: the UNPAID trips and their fares per currency (what
   * `POST arrears/pay` would take now), and whether codes are blocked.
   */
  async arrears(userId: string): Promise<{ inArrears: boolean; unpaidTrips: number; total: { amount: number; currency: string }[] }> {
    const m = this.dataSource.manager;
    const [rows, rider] = await Promise.all([this.trips.arrearsOf(m, userId), this.riderRepo.byUser(m, userId)]);
    const unpaidTrips = rows.reduce((s, r) => s + r.trips, 0);
    return {
      inArrears: rider?.in_arrears ?? false,
      unpaidTrips,
      total: rows.map((r) => ({ amount: Number(r.amount), currency: r.currency.trim() })),
    };
  }

  /** Per route: the trips charged that Shanghai day (whatever the method), exactly the operator's revenue postings of the day. */
  async settlement(operatorId: string, date: string): Promise<{ date: string; operatorId: string; count: number; routes: RouteSettlement[] }> {
    const { start, end } = shanghaiDayRange(date);
    const rows = await this.trips.settlement(this.dataSource.manager, operatorId, start, end);
    const routes = rows.map((r) => ({ routeCode: r.route_code, routeId: r.route_id, count: r.count, total: { amount: Number(r.total), currency: r.currency.trim() } }));
    return { date, operatorId, count: routes.reduce((s, r) => s + r.count, 0), routes };
  }

  /**
   * Paying at the bus door by scanning its sticker. WALLET: one transaction
   * (the trip, wallet -> operator revenue, the idempotent response); a
   * wallet short is 402. A provider method: the trip is PENDING with its
   * payment order (ALIPAY_HK in HKD, the rate recorded by the order) and
   * becomes CHARGED when the order is captured, FAILED when it fails or
   * expires (money captured after that is refunded by payments). A rider in
   * arrears is 403. A DISTANCE route, where no tap-out follows, is charged
   * its maxAmount (as an IN with no OUT is). The fare goes through the fare
   * pipeline (concession, transfer, cap) at the scan.
   */
  async scanToPay(userId: string, vehicleQr: string, method: ScanMethod = 'WALLET'): Promise<ScanResult> {
    let sticker: ReturnType<typeof readVehicleSticker>;
    try {
      sticker = readVehicleSticker(vehicleQr);
    } catch (err) {
      if (err instanceof EmvError) throw new InvalidQrError(err.message);
      throw err;
    }
    if (!sticker || !UUID.test(sticker.vehicleId)) throw new InvalidQrError('not a vehicle of this platform');
    const vehicle = await this.routes.vehicle(this.dataSource.manager, sticker.vehicleId.toLowerCase());
    if (!vehicle || vehicle.static_qr !== vehicleQr) throw new InvalidQrError('not a vehicle of this platform');
    const [route] = await this.routes.routesByIds(this.dataSource.manager, [vehicle.route_id]);
    const fare = fareOf(route);
    const amount = fare.type === 'FLAT' ? fare.amount : fare.maxAmount;
    const currency: Currency = fare.currency;
    await this.riders.rider(userId);
    const priceIn = async (m: EntityManager, tripId: string, now: Date) => {
      const [rider] = await this.riderRepo.lockByUsers(m, [userId]);
      if (rider.in_arrears) throw new InArrearsError();
      const pricer = await Pricer.load(m, this.pricing, vehicle.operator_id, [userId], [now], await this.users.birthDates([userId], m));
      return { rider, priced: pricer.price(userId, { id: tripId, routeId: route.id, boardedAt: now, base: amount, currency }) };
    };
    const trip = (tripId: string, now: Date, fareAmount: bigint, breakdown: Record<string, number>) => ({
      id: tripId, riderUserId: userId, operatorId: vehicle.operator_id, routeId: route.id, vehicleId: vehicle.id, source: 'SCAN' as const,
      boardedAt: now, alightedAt: null, stopIn: null, stopOut: null, fare: fareAmount, currency, fareBreakdown: breakdown, method,
    });

    if (method === 'WALLET') {
      return withTransactionRetry(this.dataSource, async (m) => {
        const tripId = randomUUID();
        const now = new Date();
        const { rider, priced } = await priceIn(m, tripId, now);
        const wallet = currency === 'CNY' ? rider.wallet_account_id : await this.charges.walletAccount(userId, currency, m);
        await this.charges.chargeOne(m, { tripId, riderUserId: userId, walletAccountId: wallet, operatorId: vehicle.operator_id, currency, fare: priced.fare, description: `Bus fare, route ${route.code} (scan)` });
        await this.trips.insert(m, [{ ...trip(tripId, now, priced.fare, priced.breakdown), status: 'CHARGED', chargedAt: now }]);
        await this.charges.notifyTrips(m, [{ tripId, riderUserId: userId, status: 'CHARGED', fare: priced.fare, currency, routeName: route.name }]);
        const result: ScanResult = { tripId, fare: { amount: Number(priced.fare), currency }, fareBreakdown: priced.breakdown, status: 'CHARGED', method };
        await this.idempotency.record(m, result);
        return result;
      });
    }

    // a provider: the trip waits for its payment order
    const tripId = randomUUID();
    const created = await withTransactionRetry(this.dataSource, async (m) => {
      const now = new Date();
      const { priced } = await priceIn(m, tripId, now);
      if (priced.fare === 0n) {
        // nothing to pay (free senior ride, capped day): charged at once, no order
        await this.trips.insert(m, [{ ...trip(tripId, now, 0n, priced.breakdown), status: 'CHARGED', chargedAt: now }]);
        await this.charges.notifyTrips(m, [{ tripId, riderUserId: userId, status: 'CHARGED', fare: 0n, currency, routeName: route.name }]);
        const result: ScanResult = { tripId, fare: { amount: 0, currency }, fareBreakdown: priced.breakdown, status: 'CHARGED', method };
        await this.idempotency.record(m, result);
        return { done: result };
      }
      const order = await this.orders.create(
        { userId, purpose: TRANSIT_FARE_PURPOSE, purposeRef: tripId, provider: method, amount: priced.fare, currency, subject: `Bus fare, route ${route.code}`.slice(0, 120) },
        m,
      );
      await this.trips.insert(m, [{ ...trip(tripId, now, priced.fare, priced.breakdown), status: 'PENDING', chargedAt: null, paymentOrderId: order.id }]);
      return { order, priced };
    });
    if ('done' in created) return created.done!;
    const checkout = await this.orders.openCheckout(created.order);
    return withTransactionRetry(this.dataSource, async (m) => {
      const saved = paymentOrderView(await this.orders.saveCheckout(m, created.order.id, checkout));
      const result: ScanResult = {
        tripId,
        fare: { amount: Number(created.priced.fare), currency },
        fareBreakdown: created.priced.breakdown,
        status: 'PENDING',
        method,
        paymentOrderId: saved.id,
        ...(saved.providerAmount ? { providerAmount: saved.providerAmount } : {}),
        ...(saved.checkout ? { checkout: saved.checkout } : {}),
      };
      await this.idempotency.record(m, result);
      return result;
    });
  }

  /** The payment order of a provider scan-to-pay was captured: the trip is CHARGED and the money goes to the operator, unless it had ended (then refunded). */
  private async onCaptured(order: PaymentOrder, m: EntityManager): Promise<CaptureDecision> {
    const trip = order.purposeRef ? await this.trips.lockById(m, order.purposeRef) : undefined;
    if (!trip || !(await this.trips.settlePending(m, trip.id, 'CHARGED'))) return { accept: false, reason: 'The trip payment had already ended: refunded' };
    const currency = trip.currency.trim() as Currency;
    const [route] = await this.routes.routesByIds(m, [trip.route_id]);
    await this.charges.notifyTrips(m, [{ tripId: trip.id, riderUserId: trip.rider_user_id, status: 'CHARGED', fare: BigInt(trip.fare!), currency, routeName: route.name }]);
    return { accept: true, account: await this.charges.revenueLedgerAccount(trip.operator_id, currency, m), kind: 'TRANSIT_FARE', description: `Bus fare, route ${route.code} (${order.provider})` };
  }

  onModuleInit(): void {
    this.purposes.register(TRANSIT_FARE_PURPOSE, {
      onCaptured: (order, m) => this.onCaptured(order, m),
      // failed or expired: nothing charged
      onEnded: async (order, m) => void (order.purposeRef && (await this.trips.settlePending(m, order.purposeRef, 'FAILED'))),
      onReturned: async (order, m) => void (order.purposeRef && (await this.trips.settlePending(m, order.purposeRef, 'FAILED'))),
    });
  }

  /**
   * DISTANCE tap-ins with no tap-out for more than 4 hours at `now` are
   * charged the route's maxAmount (UNPAID when the wallet cannot pay), a
   * batch of riders per transaction. Answers how many trips were charged.
   */
  async chargeOverdue(now: Date = new Date()): Promise<number> {
    const before = overdueBefore(now);
    let total = 0;
    for (;;) {
      const done = await withTransactionRetry(this.dataSource, async (m) => {
        const riderIds = await this.trips.ridersOverdue(m, before, OVERDUE_BATCH);
        if (riderIds.length === 0) return 0;
        const riders = new Map((await this.riderRepo.lockByUsers(m, riderIds)).map((r) => [r.user_id, r]));
        const overdue = await this.trips.overdueOf(m, riderIds, before);
        const routes = new Map((await this.routes.routesByIds(m, [...new Set(overdue.map((t) => t.route_id))])).map((r) => [r.id, r]));
        const charges: Charge[] = [];
        const closes: TripWrite[] = [];
        const pricers = new Map<string, Pricer>();
        for (const op of new Set(overdue.map((t) => t.operator_id))) {
          const mine = overdue.filter((t) => t.operator_id === op);
          const ids = [...new Set(mine.map((t) => t.rider_user_id))];
          pricers.set(op, await Pricer.load(m, this.pricing, op, ids, mine.map((t) => t.boarded_at), await this.users.birthDates(ids, m)));
        }
        for (const t of overdue) {
          const route = routes.get(t.route_id)!;
          const fare = fareOf(route);
          const priced = pricers.get(t.operator_id)!.price(t.rider_user_id, { id: t.id, routeId: t.route_id, boardedAt: t.boarded_at, base: fare.type === 'FLAT' ? fare.amount : fare.maxAmount, currency: fare.currency });
          const amount = priced.fare;
          const rider = riders.get(t.rider_user_id)!;
          const wallet = fare.currency === 'CNY' ? rider.wallet_account_id : await this.charges.walletAccount(rider.user_id, fare.currency, m);
          charges.push({ tripId: t.id, riderUserId: t.rider_user_id, walletAccountId: wallet, operatorId: t.operator_id, currency: fare.currency, fare: amount, description: `Bus fare, route ${route.code} (no tap-out)` });
          closes.push({
            id: t.id, riderUserId: t.rider_user_id, operatorId: t.operator_id, routeId: t.route_id, vehicleId: t.vehicle_id, source: 'TAP',
            status: 'CHARGED', boardedAt: t.boarded_at, alightedAt: null, stopIn: t.stop_in, stopOut: null, fare: amount, currency: fare.currency, chargedAt: new Date(),
            fareBreakdown: priced.breakdown,
          });
        }
        const charged = await this.charges.chargeMany(m, charges);
        const unpaid = new Set<string>();
        for (const c of closes) {
          if (charged.get(c.id) === 'UNPAID') {
            c.status = 'UNPAID';
            c.chargedAt = null;
            unpaid.add(c.riderUserId);
          }
        }
        await this.trips.close(m, closes);
        await this.charges.notifyTrips(
          m,
          closes.map((c) => ({ tripId: c.id, riderUserId: c.riderUserId, status: c.status === 'UNPAID' ? ('UNPAID' as const) : ('CHARGED' as const), fare: c.fare!, currency: c.currency, routeName: routes.get(c.routeId)!.name })),
        );
        await this.riderRepo.enterArrears(m, [...unpaid].sort(), new Date());
        return closes.length;
      });
      total += done;
      if (done === 0) break;
    }
    if (total > 0) this.logger.log(`charged ${total} tap-ins with no tap-out at maxAmount`);
    return total;
  }
}
