import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { UUID, type Currency } from '@app/common';
import { withTransactionRetry } from '@app/database';
import { UsersService, type AuthenticatedDevice } from '@app/identity';
import { MAX_GRACE_SECONDS, verifyCode } from '@app/paycode';
import { keySetsAt } from '@app/paycode-keys';
import { distanceFare, MAX_STOPS } from './domain/route-fare.js';
import { ROUTE_CODE } from './dto/transit.dto.js';
import { heldTapOutsExpireBefore, matchHeldTapOut, matchTapOut, TAP_OUT_LIMIT_MS } from './domain/tap-rules.js';
import { ChargesService, type Charge } from './charges.service.js';
import { Pricer, PricingRepository } from './pricing.js';
import { RIDE_CODE_KEYS, type RideCodeKeys } from './ride-code-keys.js';
import { RidersRepository, type RiderRow } from './riders.repository.js';
import { fareOf, RoutesRepository, type RouteRow } from './routes.repository.js';
import { HeldTapOutsRepository, TapsRepository, type HeldMatch, type HeldTapOut, type TapResultWrite } from './taps.repository.js';
import { TripsRepository, type TripRow, type TripWrite } from './trips.repository.js';

export type TapStatus = 'CHARGED' | 'PENDING_TAP_OUT' | 'UNPAID' | 'DUPLICATE' | 'REJECTED';

/**
 * Why a tap was REJECTED: the reasons of api.md (CODE_ALREADY_USED,
 * CODE_EXPIRED, INVALID_CODE, BLOCKED) and those of a tap that cannot be
 * priced: INVALID_TAP (a field missing or malformed, scannedAt in the
 * future), UNKNOWN_ROUTE, UNKNOWN_VEHICLE, NO_TAP_IN (a tap-out with no open
 * tap-in of this rider on this route in the 4 hours before).
 */
export type TapReason = 'CODE_ALREADY_USED' | 'CODE_EXPIRED' | 'INVALID_CODE' | 'BLOCKED' | 'INVALID_TAP' | 'UNKNOWN_ROUTE' | 'UNKNOWN_VEHICLE' | 'NO_TAP_IN' | 'AWAITING_TAP_IN';

export interface TapResult {
  tapId: string;
  status: TapStatus;
  reason?: string;
  fare?: { amount: number; currency: string };
  tripId?: string;
  /** DUPLICATE: what the first upload of this tapId was answered. */
  firstStatus?: string;
  /** INVALID_TAP: which field is wrong. */
  detail?: string;
}

/** The grace after a code's expiry that taps get (api.md: at most 30 s). */
export const TAP_GRACE_SECONDS = MAX_GRACE_SECONDS;
/** Riders per transaction of the held tap-outs job. */
const HELD_BATCH = 500;
/** A reader's clock may run this far ahead of ours. */
const FUTURE_SKEW_MS = 5 * 60_000;

interface Tap {
  index: number;
  tapId: string;
  code: string;
  scannedAt: Date;
  routeCode: string;
  vehicleId: string | null;
  stopIndex: number | null;
  direction: 'IN' | 'OUT' | null;
}

/** A tap-out uploaded after the 4-hour job charged its tap-in maxAmount: the trip's fare becomes the distance fare. */
interface LateClose {
  w: Work;
  trip: TripRow;
  walletAccountId: string;
  fare: bigint;
  /** What goes back to the wallet (a CHARGED trip): maxAmount charged minus the distance fare. */
  refund: bigint;
  breakdown: Record<string, number>;
}

interface Work extends Tap {
  sub?: string;
  useKey?: string;
  route?: RouteRow;
  rider?: RiderRow;
  result?: TapResult;
}

const TAP_FIELDS = new Set(['tapId', 'code', 'scannedAt', 'routeCode', 'vehicleId', 'stopIndex', 'direction']);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** One tap from the body, checked on its own: the tap, or its REJECTED INVALID_TAP result. */
function parseTap(raw: unknown, index: number): Tap | TapResult {
  const r = (raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const tapId = typeof r.tapId === 'string' ? r.tapId : '';
  const bad = (why: string): TapResult => ({ tapId, status: 'REJECTED', reason: 'INVALID_TAP', detail: why });
  if (!UUID.test(tapId)) return bad('tapId must be a UUID');
  if (Object.keys(r).some((k) => !TAP_FIELDS.has(k))) return bad('unknown field');
  if (typeof r.code !== 'string' || r.code.length === 0 || r.code.length > 1000) return bad('code must be a string');
  if (typeof r.scannedAt !== 'string' || !ISO.test(r.scannedAt) || Number.isNaN(Date.parse(r.scannedAt))) return bad('scannedAt must be an ISO 8601 time');
  if (typeof r.routeCode !== 'string' || !ROUTE_CODE.test(r.routeCode)) return bad('routeCode must be 1-32 letters, digits, ".", "-" or "_"');
  if (r.vehicleId !== undefined && r.vehicleId !== null && (typeof r.vehicleId !== 'string' || !UUID.test(r.vehicleId))) return bad('vehicleId must be a UUID');
  if (r.stopIndex !== undefined && r.stopIndex !== null && (!Number.isSafeInteger(r.stopIndex) || (r.stopIndex as number) < 0 || (r.stopIndex as number) > MAX_STOPS)) {
    return bad(`stopIndex must be an integer 0..${MAX_STOPS}`);
  }
  if (r.direction !== undefined && r.direction !== null && r.direction !== 'IN' && r.direction !== 'OUT') return bad('direction must be IN or OUT');
  return {
    index,
    tapId: tapId.toLowerCase(),
    code: r.code,
    scannedAt: new Date(r.scannedAt),
    routeCode: r.routeCode,
    vehicleId: (r.vehicleId as string | undefined)?.toLowerCase() ?? null,
    stopIndex: (r.stopIndex as number | undefined) ?? null,
    direction: (r.direction as 'IN' | 'OUT' | undefined) ?? null,
  };
}

const money = (amount: bigint, currency: string) => ({ amount: Number(amount), currency: currency.trim() });

/**
 * Batches of taps from bus readers (api.md tap rules), processed set-based
 * in one transaction per batch: a handful of statements whatever the batch
 * size. The database decides what must be decided once: a tapId already
 * seen (primary key), a code already used (primary key of code_uses, across
 * readers and batches), the order of one rider's taps (rider rows locked in
 * id order). One bad tap is answered REJECTED and never fails the others.
 */
@Injectable()
export class TapsService {
  private readonly taps = new TapsRepository();
  private readonly riders = new RidersRepository();
  private readonly routes = new RoutesRepository();
  private readonly trips = new TripsRepository();
  private readonly pricing = new PricingRepository();
  private readonly held = new HeldTapOutsRepository();

  constructor(
    private readonly dataSource: DataSource,
    private readonly charges: ChargesService,
    private readonly users: UsersService,
    @Inject(RIDE_CODE_KEYS) private readonly keys: RideCodeKeys,
  ) {}

  async upload(device: AuthenticatedDevice, rawTaps: readonly unknown[], now = new Date()): Promise<{ results: TapResult[] }> {
    const results: TapResult[] = new Array(rawTaps.length);
    const work: Work[] = [];
    const firstIndex = new Map<string, number>();
    rawTaps.forEach((raw, i) => {
      const tap = parseTap(raw, i);
      if (!('index' in tap)) {
        results[i] = tap;
        return;
      }
      if (firstIndex.has(tap.tapId)) return; // repeated in this batch: answered after the first
      firstIndex.set(tap.tapId, i);
      work.push(tap);
    });
    // the keys readers had at each scan, not only those published now: an upload may come after a rotation's publish time
    const scans = work.map((w) => w.scannedAt.getTime());
    const keySetAt = keySetsAt(scans.length > 0 ? await this.keys.keysInForceSince(new Date(Math.min(...scans))) : []);
    for (const w of work) {
      if (w.scannedAt.getTime() > now.getTime() + FUTURE_SKEW_MS) {
        w.result = { tapId: w.tapId, status: 'REJECTED', reason: 'INVALID_TAP' };
        continue;
      }
      // offline verification again, at the scan time: signature, use, time window (the blocklist is decided below, in the database)
      const v = verifyCode(w.code, keySetAt(w.scannedAt), { now: w.scannedAt, use: 'ride', graceSeconds: TAP_GRACE_SECONDS });
      if (!v.ok) w.result = { tapId: w.tapId, status: 'REJECTED', reason: v.reason };
      else {
        w.sub = v.sub;
        w.useKey = v.singleUseKey;
      }
    }

    if (work.length > 0) {
      const decided = await withTransactionRetry(this.dataSource, (m) => this.process(m, device, work.map((w) => ({ ...w }))));
      for (const r of decided) results[firstIndex.get(r.tapId)!] = r;
    }
    // a tapId repeated within the batch: DUPLICATE of its first occurrence
    rawTaps.forEach((raw, i) => {
      if (results[i]) return;
      const tapId = String((raw as { tapId: string }).tapId).toLowerCase();
      const first = results[firstIndex.get(tapId)!];
      results[i] = { ...first, status: 'DUPLICATE', firstStatus: first.status };
    });
    return { results };
  }

  /**
   * The held tap-outs job: tap-outs held for their tap-in longer than
   * HELD_TAP_OUT_TTL_MS after their scan are dropped and answered REJECTED
   * NO_TAP_IN (a batch of riders per transaction, under their locks, as
   * uploads take them); held tap-outs already matched are dropped too (their
   * tap and trip say everything). Answers how many expired.
   */
  async expireHeldTapOuts(now: Date = new Date()): Promise<number> {
    const before = heldTapOutsExpireBefore(now);
    let total = 0;
    for (;;) {
      const done = await withTransactionRetry(this.dataSource, async (m) => {
        const riderIds = await this.held.ridersWithExpired(m, before, HELD_BATCH);
        if (riderIds.length === 0) return 0;
        await this.riders.lockByUsers(m, riderIds);
        return this.held.expire(m, riderIds, before);
      });
      total += done;
      if (done === 0) break;
    }
    while ((await withTransactionRetry(this.dataSource, (m) => this.held.purgeMatched(m, HELD_BATCH))) === HELD_BATCH);
    return total;
  }

  private async process(m: EntityManager, device: AuthenticatedDevice, work: Work[]): Promise<TapResult[]> {
    const operatorId = device.organizationId;
    // 1. tapIds: the first upload wins; the others are answered its result
    const fresh = await this.taps.claim(
      m,
      device.id,
      operatorId,
      work.map((w) => ({ tapId: w.tapId, scannedAt: w.scannedAt, direction: w.direction })),
    );
    const dupes = work.filter((w) => !fresh.has(w.tapId));
    const out: TapResult[] = [];
    for (const s of await this.taps.stored(m, device.id, dupes.map((w) => w.tapId))) {
      out.push({
        tapId: s.tap_id,
        status: 'DUPLICATE',
        firstStatus: s.status,
        ...(s.reason ? { reason: s.reason } : {}),
        ...(s.fare !== null && s.currency ? { fare: money(BigInt(s.fare), s.currency) } : {}),
        ...(s.trip_id ? { tripId: s.trip_id } : {}),
      });
    }
    const live = work.filter((w) => fresh.has(w.tapId));
    const pending = () => live.filter((w) => !w.result);

    // 2. routes and vehicles of this operator
    const routes = new Map((await this.routes.routesByCodes(m, operatorId, [...new Set(pending().map((w) => w.routeCode))])).map((r) => [r.code, r]));
    const vehicleIds = [...new Set(pending().flatMap((w) => (w.vehicleId ? [w.vehicleId] : [])))];
    const vehicles = new Map((vehicleIds.length ? await this.routes.vehiclesOf(m, operatorId, vehicleIds) : []).map((v) => [v.id, v]));
    for (const w of pending()) {
      w.route = routes.get(w.routeCode);
      if (!w.route) w.result = { tapId: w.tapId, status: 'REJECTED', reason: 'UNKNOWN_ROUTE' };
      else if (w.vehicleId && !vehicles.has(w.vehicleId)) w.result = { tapId: w.tapId, status: 'REJECTED', reason: 'UNKNOWN_VEHICLE' };
      else if (w.route.fare_type === 'DISTANCE' && w.stopIndex === null) w.result = { tapId: w.tapId, status: 'REJECTED', reason: 'INVALID_TAP' };
    }

    // 3. riders, locked in id order: one rider's taps are decided one batch at a time
    const riders = new Map((await this.riders.lockByRefs(m, [...new Set(pending().map((w) => w.sub!))])).map((r) => [r.ref, r]));
    for (const w of pending()) {
      w.rider = riders.get(w.sub!);
      if (!w.rider) w.result = { tapId: w.tapId, status: 'REJECTED', reason: 'INVALID_CODE' };
      // blocklisted when scanned: a tap made before the rider fell into arrears still counts
      else if (w.rider.in_arrears && w.rider.arrears_since && w.rider.arrears_since.getTime() <= w.scannedAt.getTime()) {
        w.result = { tapId: w.tapId, status: 'REJECTED', reason: 'BLOCKED' };
      }
    }

    // 4. single use, decided by the database (first insert of the code's key wins)
    const byOrder = pending().sort((a, b) => a.scannedAt.getTime() - b.scannedAt.getTime() || a.index - b.index);
    const tripIds = new Map(byOrder.map((w) => [w.tapId, randomUUID()]));
    const first = await this.taps.useCodes(
      m,
      device.id,
      byOrder.map((w) => ({ key: w.useKey!, tapId: w.tapId, tripId: null })),
    );
    for (const w of byOrder) if (!first.has(w.tapId)) w.result = { tapId: w.tapId, status: 'REJECTED', reason: 'CODE_ALREADY_USED' };

    // 5. fares, per rider in scan order
    const ok = pending().sort((a, b) => a.scannedAt.getTime() - b.scannedAt.getTime() || a.index - b.index);
    const open = new Map<string, { id: string; routeId: string; boardedAt: Date; stopIn: number; fresh?: TripWrite }[]>();
    for (const t of await this.trips.openTapIns(m, [...new Set(ok.map((w) => w.rider!.user_id))])) {
      const list = open.get(t.rider_user_id) ?? [];
      list.push({ id: t.id, routeId: t.route_id, boardedAt: t.boarded_at, stopIn: t.stop_in ?? 0 });
      open.set(t.rider_user_id, list);
    }
    const okRiders = [...new Set(ok.map((w) => w.rider!.user_id))];
    // tap-outs uploaded before their tap-in, waiting for it (only looked up when the batch has DISTANCE taps)
    const distanceRiders = [...new Set(ok.filter((w) => w.route!.fare_type === 'DISTANCE').map((w) => w.rider!.user_id))];
    const waiting = new Map<string, HeldTapOut[]>();
    for (const h of await this.held.waiting(m, distanceRiders)) waiting.set(h.riderUserId, [...(waiting.get(h.riderUserId) ?? []), h]);
    // DISTANCE tap-ins the 4-hour job already charged maxAmount: a tap-out scanned within 4 h of one, uploaded late, closes it
    const distanceOuts = ok.filter((w) => w.route!.fare_type === 'DISTANCE' && w.direction === 'OUT');
    const closedByJob = new Map<string, TripRow[]>();
    if (distanceOuts.length > 0) {
      const since = new Date(Math.min(...distanceOuts.map((w) => w.scannedAt.getTime())) - TAP_OUT_LIMIT_MS);
      for (const t of await this.trips.closedWithoutTapOut(m, [...new Set(distanceOuts.map((w) => w.rider!.user_id))], since)) {
        closedByJob.set(t.rider_user_id, [...(closedByJob.get(t.rider_user_id) ?? []), t]);
      }
    }
    const jobClosed = (riderId: string) => (closedByJob.get(riderId) ?? []).map((t) => ({ routeId: t.route_id, boardedAt: t.boarded_at, trip: t }));
    const lateCloses: LateClose[] = [];
    const heldMatches: HeldMatch[] = [];
    const unmatchedOuts: Work[] = [];
    const pendingHolds: HeldTapOut[] = [];
    const pricer = await Pricer.load(
      m,
      this.pricing,
      operatorId,
      okRiders,
      [...ok.map((w) => w.scannedAt), ...[...open.values()].flat().map((o) => o.boardedAt), ...[...closedByJob.values()].flat().map((t) => t.boarded_at)],
      await this.users.birthDates(okRiders, m),
    );
    const inserts: TripWrite[] = [];
    const closes: TripWrite[] = [];
    const charges: Charge[] = [];
    const tapOfTrip = new Map<string, Work>();
    for (const w of ok) {
      const route = w.route!;
      const rider = w.rider!;
      const fare = fareOf(route);
      const currency = fare.currency;
      const walletAccountId = currency === 'CNY' ? rider.wallet_account_id : await this.charges.walletAccount(rider.user_id, currency, m);
      const base = { riderUserId: rider.user_id, operatorId, routeId: route.id, vehicleId: w.vehicleId, source: 'TAP' as const, currency };
      const charge = (tripId: string, amount: bigint) => charges.push({ tripId, riderUserId: rider.user_id, walletAccountId, operatorId, currency, fare: amount, description: `Bus fare, route ${route.code}` });
      if (fare.type === 'FLAT') {
        const id = tripIds.get(w.tapId)!;
        const priced = pricer.price(rider.user_id, { id, routeId: route.id, boardedAt: w.scannedAt, base: fare.amount, currency });
        inserts.push({ ...base, id, status: 'CHARGED', boardedAt: w.scannedAt, alightedAt: null, stopIn: w.stopIndex, stopOut: null, fare: priced.fare, chargedAt: new Date(), fareBreakdown: priced.breakdown });
        charge(id, priced.fare);
        tapOfTrip.set(id, w);
      } else if (w.direction !== 'OUT') {
        const id = tripIds.get(w.tapId)!;
        const heldList = waiting.get(rider.user_id) ?? [];
        const heldOut = matchHeldTapOut(heldList, { routeId: route.id, boardedAt: w.scannedAt });
        if (heldOut) {
          // its tap-out came first: the trip closes now
          heldList.splice(heldList.indexOf(heldOut), 1);
          const priced = pricer.price(rider.user_id, { id, routeId: route.id, boardedAt: w.scannedAt, base: distanceFare(fare, w.stopIndex!, heldOut.stopOut).amount, currency });
          inserts.push({ ...base, id, status: 'CHARGED', boardedAt: w.scannedAt, alightedAt: heldOut.scannedAt, stopIn: w.stopIndex, stopOut: heldOut.stopOut, fare: priced.fare, chargedAt: new Date(), fareBreakdown: priced.breakdown });
          charge(id, priced.fare);
          tapOfTrip.set(id, w);
          heldMatches.push({ deviceId: heldOut.deviceId, tapId: heldOut.tapId, tripId: id, status: 'CHARGED', fare: priced.fare, currency });
          continue;
        }
        const trip: TripWrite = { ...base, id, status: 'PENDING_TAP_OUT', boardedAt: w.scannedAt, alightedAt: null, stopIn: w.stopIndex, stopOut: null, fare: null, chargedAt: null };
        inserts.push(trip);
        const list = open.get(rider.user_id) ?? [];
        list.push({ id, routeId: route.id, boardedAt: w.scannedAt, stopIn: w.stopIndex!, fresh: trip });
        open.set(rider.user_id, list);
        w.result = { tapId: w.tapId, status: 'PENDING_TAP_OUT', tripId: id };
      } else {
        const list = open.get(rider.user_id) ?? [];
        const match = matchTapOut(list, { routeId: route.id, scannedAt: w.scannedAt });
        if (!match) {
          const late = matchTapOut(jobClosed(rider.user_id), { routeId: route.id, scannedAt: w.scannedAt });
          if (late) {
            // the ride had its tap-out in time: its fare is the distance fare, and what maxAmount took beyond it goes back
            const trip = late.trip;
            closedByJob.set(rider.user_id, closedByJob.get(rider.user_id)!.filter((t) => t.id !== trip.id));
            const charged = BigInt(trip.fare ?? '0');
            const priced = pricer.price(rider.user_id, { id: trip.id, routeId: route.id, boardedAt: trip.boarded_at, base: distanceFare(fare, trip.stop_in ?? 0, w.stopIndex!).amount, currency });
            const amount = priced.fare < charged ? priced.fare : charged;
            const breakdown = { ...priced.breakdown, cap: priced.breakdown.cap + Number(priced.fare - amount) };
            lateCloses.push({ w, trip, walletAccountId, fare: amount, refund: trip.status === 'CHARGED' ? charged - amount : 0n, breakdown });
            w.result = { tapId: w.tapId, status: trip.status === 'CHARGED' ? 'CHARGED' : 'UNPAID', fare: money(amount, currency), tripId: trip.id };
            continue;
          }
          unmatchedOuts.push(w);
          continue;
        }
        list.splice(list.indexOf(match), 1);
        const priced = pricer.price(rider.user_id, { id: match.id, routeId: route.id, boardedAt: match.boardedAt, base: distanceFare(fare, match.stopIn, w.stopIndex!).amount, currency });
        const amount = priced.fare;
        const closed = { status: 'CHARGED' as const, alightedAt: w.scannedAt, stopOut: w.stopIndex, fare: amount, chargedAt: new Date(), fareBreakdown: priced.breakdown };
        if (match.fresh) Object.assign(match.fresh, closed);
        else closes.push({ ...base, id: match.id, boardedAt: match.boardedAt, stopIn: match.stopIn, ...closed });
        charge(match.id, amount);
        tapOfTrip.set(match.id, w);
      }
    }

    // a tap-out with no open tap-in: NO_TAP_IN when the 4-hour job charged its tap-in maxAmount and another tap-out closed it since, else held for its tap-in
    if (unmatchedOuts.length > 0) {
      const since = new Date(Math.min(...unmatchedOuts.map((w) => w.scannedAt.getTime())) - TAP_OUT_LIMIT_MS);
      const closed = new Map<string, { id: string; routeId: string; boardedAt: Date }[]>();
      for (const t of await this.trips.closedWithoutTapOut(m, [...new Set(unmatchedOuts.map((w) => w.rider!.user_id))], since)) {
        closed.set(t.rider_user_id, [...(closed.get(t.rider_user_id) ?? []), { id: t.id, routeId: t.route_id, boardedAt: t.boarded_at }]);
      }
      const holds: HeldTapOut[] = [];
      for (const w of unmatchedOuts) {
        if (matchTapOut(closed.get(w.rider!.user_id) ?? [], { routeId: w.route!.id, scannedAt: w.scannedAt })) {
          w.result = { tapId: w.tapId, status: 'REJECTED', reason: 'NO_TAP_IN' };
          continue;
        }
        holds.push({ deviceId: device.id, tapId: w.tapId, riderUserId: w.rider!.user_id, operatorId, routeId: w.route!.id, vehicleId: w.vehicleId, scannedAt: w.scannedAt, stopOut: w.stopIndex! });
        w.result = { tapId: w.tapId, status: 'PENDING_TAP_OUT', reason: 'AWAITING_TAP_IN' };
      }
      pendingHolds.push(...holds);
    }

    // 6. money: one ledger call for the batch; a wallet that cannot pay makes the trip UNPAID
    const charged = await this.charges.chargeMany(m, charges);
    await this.charges.refundMany(
      m,
      lateCloses.filter((l) => l.refund > 0n).map((l) => ({ tripId: l.trip.id, walletAccountId: l.walletAccountId, operatorId, currency: l.trip.currency.trim() as Currency, amount: l.refund, description: `Bus fare refund, route ${l.w.route!.code} (tap-out after the 4-hour charge)` })),
    );
    await this.trips.closeLate(
      m,
      lateCloses.map((l) => ({ id: l.trip.id, alightedAt: l.w.scannedAt, stopOut: l.w.stopIndex!, fare: l.fare, fareBreakdown: l.breakdown })),
    );
    for (const h of heldMatches) h.status = charged.get(h.tripId)!;
    const unpaidRiders = new Set<string>();
    const notices: Parameters<ChargesService['notifyTrips']>[1][number][] = [];
    const tripById = new Map([...inserts, ...closes].map((t) => [t.id, t]));
    for (const c of charges) {
      const status = charged.get(c.tripId)!;
      const trip = tripById.get(c.tripId)!;
      if (status === 'UNPAID') {
        trip.status = 'UNPAID';
        trip.chargedAt = null;
        unpaidRiders.add(c.riderUserId);
      }
      const w = tapOfTrip.get(c.tripId)!;
      w.result = { tapId: w.tapId, status, fare: money(c.fare, c.currency), tripId: c.tripId };
      notices.push({ tripId: c.tripId, riderUserId: c.riderUserId, status, fare: c.fare, currency: c.currency, routeName: w.route!.name });
    }
    await this.charges.notifyTrips(m, notices);
    await this.trips.insert(m, inserts);
    await this.trips.close(m, closes);
    await this.riders.enterArrears(m, [...unpaidRiders].sort(), new Date());

    const decided = live.map((w) => w.result!);
    await this.held.matched(m, heldMatches);
    await this.taps.saveResults(
      m,
      device.id,
      decided.map(
        (r): TapResultWrite => ({ tapId: r.tapId, status: r.status, reason: r.reason ?? null, fare: r.fare ? BigInt(r.fare.amount) : null, currency: r.fare?.currency ?? null, tripId: r.tripId ?? null }),
      ),
    );
    await this.held.hold(m, pendingHolds); // after its tap's row is final (foreign key)
    return [...out, ...decided];
  }
}
