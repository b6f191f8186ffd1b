import { returnedRows } from '@app/database';
import type { EntityManager } from 'typeorm';

export type TripStatus = 'PENDING_TAP_OUT' | 'CHARGED' | 'UNPAID' | 'PENDING' | 'FAILED';

export interface TripRow {
  id: string;
  rider_user_id: string;
  operator_id: string;
  route_id: string;
  vehicle_id: string | null;
  source: 'TAP' | 'SCAN';
  method: string;
  status: TripStatus;
  boarded_at: Date;
  alighted_at: Date | null;
  stop_in: number | null;
  stop_out: number | null;
  fare: string | null;
  currency: string;
  fare_breakdown: Record<string, number> | null;
  charged_at: Date | null;
  payment_order_id: string | null;
  route_code?: string;
}

/** A trip to write: new (INSERT) or closing an open tap-in (UPDATE). */
export interface TripWrite {
  id: string;
  riderUserId: string;
  operatorId: string;
  routeId: string;
  vehicleId: string | null;
  source: 'TAP' | 'SCAN';
  status: TripStatus;
  boardedAt: Date;
  alightedAt: Date | null;
  stopIn: number | null;
  stopOut: number | null;
  fare: bigint | null;
  currency: string;
  chargedAt: Date | null;
  /** The amounts the fare pipeline took off (api.md fareBreakdown). */
  fareBreakdown?: Record<string, number> | null;
  /** Scan-to-pay: WALLET (default) or the provider paying, with its payment order. */
  method?: string;
  paymentOrderId?: string | null;
}

/** SQL of trips (schema transit); batches are written with one statement each. */
export class TripsRepository {
  async insert(m: EntityManager, trips: readonly TripWrite[]): Promise<void> {
    if (trips.length === 0) return;
    await m.query(
      `INSERT INTO transit.trips (id, rider_user_id, operator_id, route_id, vehicle_id, source, status, boarded_at, alighted_at, stop_in, stop_out, fare, currency, charged_at, ledger_reference, fare_breakdown, method, payment_order_id)
       SELECT t.id, t.rider, t.op, t.route, t.vehicle, t.source, t.status, t.boarded, t.alighted, t.stop_in, t.stop_out, t.fare, t.currency, t.charged,
              CASE WHEN t.charged IS NOT NULL AND t.fare > 0 AND t.method = 'WALLET' THEN 'transit-trip:' || t.id END, t.breakdown, t.method, t.order_id
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::int[], $11::int[], $12::bigint[], $13::text[], $14::timestamptz[], $15::jsonb[], $16::text[], $17::uuid[])
           AS t(id, rider, op, route, vehicle, source, status, boarded, alighted, stop_in, stop_out, fare, currency, charged, breakdown, method, order_id)`,
      [
        trips.map((t) => t.id),
        trips.map((t) => t.riderUserId),
        trips.map((t) => t.operatorId),
        trips.map((t) => t.routeId),
        trips.map((t) => t.vehicleId),
        trips.map((t) => t.source),
        trips.map((t) => t.status),
        trips.map((t) => t.boardedAt),
        trips.map((t) => t.alightedAt),
        trips.map((t) => t.stopIn),
        trips.map((t) => t.stopOut),
        trips.map((t) => (t.fare === null ? null : t.fare.toString())),
        trips.map((t) => t.currency),
        trips.map((t) => t.chargedAt),
        trips.map((t) => (t.fareBreakdown ? JSON.stringify(t.fareBreakdown) : null)),
        trips.map((t) => t.method ?? 'WALLET'),
        trips.map((t) => t.paymentOrderId ?? null),
      ],
    );
  }

  /** A scan-to-pay trip paid through a provider, locked (its payment order's capture or end decides it). */
  async lockById(m: EntityManager, id: string): Promise<TripRow | undefined> {
    const [row] = (await m.query(`SELECT * FROM transit.trips WHERE id = $1 FOR UPDATE`, [id])) as TripRow[];
    return row;
  }

  /** PENDING -> CHARGED (captured) or FAILED (ended unpaid, or captured too late); answers whether it changed. */
  async settlePending(m: EntityManager, id: string, status: 'CHARGED' | 'FAILED'): Promise<boolean> {
    const rows = returnedRows<{ id: string }>(
      await m.query(`UPDATE transit.trips SET status = $2, charged_at = CASE WHEN $2 = 'CHARGED' THEN now() END WHERE id = $1 AND status = 'PENDING' RETURNING id`, [id, status]),
    );
    return rows.length === 1;
  }

  /** Closes open tap-ins (or charges overdue ones): status, fare, tap-out. Only trips still PENDING_TAP_OUT change. */
  async close(m: EntityManager, trips: readonly TripWrite[]): Promise<void> {
    if (trips.length === 0) return;
    await m.query(
      `UPDATE transit.trips x SET status = t.status, alighted_at = t.alighted, stop_out = t.stop_out, fare = t.fare, charged_at = t.charged,
              ledger_reference = CASE WHEN t.charged IS NOT NULL AND t.fare > 0 THEN 'transit-trip:' || x.id END, fare_breakdown = t.breakdown
         FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::int[], $5::bigint[], $6::timestamptz[], $7::jsonb[]) AS t(id, status, alighted, stop_out, fare, charged, breakdown)
        WHERE x.id = t.id AND x.status = 'PENDING_TAP_OUT'`,
      [
        trips.map((t) => t.id),
        trips.map((t) => t.status),
        trips.map((t) => t.alightedAt),
        trips.map((t) => t.stopOut),
        trips.map((t) => (t.fare === null ? null : t.fare.toString())),
        trips.map((t) => t.chargedAt),
        trips.map((t) => (t.fareBreakdown ? JSON.stringify(t.fareBreakdown) : null)),
      ],
    );
  }

  /**
   * Trips the 4-hour job closed at maxAmount that a tap-out uploaded late
   * closes after all: its stop, time and the distance fare. Only trips still
   * without a tap-out change; throws if one did not (the rider lock makes it
   * impossible).
   */
  async closeLate(m: EntityManager, trips: readonly { id: string; alightedAt: Date; stopOut: number; fare: bigint; fareBreakdown: Record<string, number> }[]): Promise<void> {
    if (trips.length === 0) return;
    const rows = returnedRows(
      await m.query(
        `UPDATE transit.trips x SET alighted_at = t.alighted, stop_out = t.stop_out, fare = t.fare, fare_breakdown = t.breakdown
           FROM unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::bigint[], $5::jsonb[]) AS t(id, alighted, stop_out, fare, breakdown)
          WHERE x.id = t.id AND x.alighted_at IS NULL AND x.status IN ('CHARGED', 'UNPAID')
          RETURNING x.id`,
        [trips.map((t) => t.id), trips.map((t) => t.alightedAt), trips.map((t) => t.stopOut), trips.map((t) => t.fare.toString()), trips.map((t) => JSON.stringify(t.fareBreakdown))],
      ),
    );
    if (rows.length !== trips.length) throw new Error('a trip closed by a late tap-out changed meanwhile');
  }

  /** Open tap-ins of these riders (locked by the caller through their rider rows). */
  async openTapIns(m: EntityManager, riderUserIds: readonly string[]): Promise<TripRow[]> {
    if (riderUserIds.length === 0) return [];
    return (await m.query(`SELECT * FROM transit.trips WHERE rider_user_id = ANY($1::uuid[]) AND status = 'PENDING_TAP_OUT' ORDER BY boarded_at`, [
      riderUserIds,
    ])) as TripRow[];
  }

  /**
   * DISTANCE tap-ins of these riders that the overdue job closed at maxAmount
   * (no tap-out), boarded since `since`: a tap-out uploaded after that is not held.
   */
  async closedWithoutTapOut(m: EntityManager, riderUserIds: readonly string[], since: Date): Promise<TripRow[]> {
    if (riderUserIds.length === 0) return [];
    return (await m.query(
      `SELECT t.* FROM transit.trips t JOIN transit.routes r ON r.id = t.route_id AND r.fare_type = 'DISTANCE'
        WHERE t.rider_user_id = ANY($1::uuid[]) AND t.boarded_at >= $2 AND t.source = 'TAP'
          AND t.status IN ('CHARGED', 'UNPAID') AND t.alighted_at IS NULL ORDER BY t.boarded_at`,
      [riderUserIds, since],
    )) as TripRow[];
  }

  /** Riders with a tap-in open since before `before`, at most `limit`, in rider order. */
  async ridersOverdue(m: EntityManager, before: Date, limit: number): Promise<string[]> {
    const rows = (await m.query(
      `SELECT DISTINCT rider_user_id FROM (
         SELECT rider_user_id FROM transit.trips WHERE status = 'PENDING_TAP_OUT' AND boarded_at < $1 ORDER BY boarded_at LIMIT $2) o
       ORDER BY rider_user_id`,
      [before, limit],
    )) as { rider_user_id: string }[];
    return rows.map((r) => r.rider_user_id);
  }

  async overdueOf(m: EntityManager, riderUserIds: readonly string[], before: Date): Promise<TripRow[]> {
    return (await m.query(
      `SELECT * FROM transit.trips WHERE rider_user_id = ANY($1::uuid[]) AND status = 'PENDING_TAP_OUT' AND boarded_at < $2 ORDER BY rider_user_id, boarded_at`,
      [riderUserIds, before],
    )) as TripRow[];
  }

  async unpaidOf(m: EntityManager, riderUserId: string): Promise<TripRow[]> {
    return (await m.query(`SELECT * FROM transit.trips WHERE rider_user_id = $1 AND status = 'UNPAID' ORDER BY boarded_at, id FOR UPDATE`, [riderUserId])) as TripRow[];
  }

  /** A rider's UNPAID trips, counted and summed per currency (what `arrears/pay` would take), without locking. */
  async arrearsOf(m: EntityManager, riderUserId: string): Promise<{ currency: string; trips: number; amount: string }[]> {
    return (await m.query(
      `SELECT currency, count(*)::int AS trips, COALESCE(sum(fare), 0)::text AS amount
         FROM transit.trips WHERE rider_user_id = $1 AND status = 'UNPAID' GROUP BY currency ORDER BY currency`,
      [riderUserId],
    )) as { currency: string; trips: number; amount: string }[];
  }

  async markPaid(m: EntityManager, ids: readonly string[], at: Date): Promise<void> {
    await m.query(
      `UPDATE transit.trips SET status = 'CHARGED', charged_at = $2, ledger_reference = CASE WHEN fare > 0 THEN 'transit-trip:' || id END
        WHERE id = ANY($1::uuid[]) AND status = 'UNPAID'`,
      [ids, at],
    );
  }

  /** A rider's trips, newest boarding first, after the cursor position. */
  async history(m: EntityManager, riderUserId: string, limit: number, after?: { b: string; id: string }): Promise<TripRow[]> {
    return (await m.query(
      `SELECT t.*, r.code AS route_code FROM transit.trips t JOIN transit.routes r ON r.id = t.route_id
        WHERE t.rider_user_id = $1 AND ($2::timestamptz IS NULL OR (t.boarded_at, t.id) < ($2::timestamptz, $3::uuid))
        ORDER BY t.boarded_at DESC, t.id DESC LIMIT $4`,
      [riderUserId, after?.b ?? null, after?.id ?? null, limit],
    )) as TripRow[];
  }

  /** Per route: the trips charged in [start, end) (charge time), count and total. */
  async settlement(m: EntityManager, operatorId: string, start: Date, end: Date): Promise<{ route_code: string; route_id: string; currency: string; count: number; total: string }[]> {
    return (await m.query(
      `SELECT r.code AS route_code, r.id AS route_id, t.currency, count(*)::int AS count, sum(t.fare)::text AS total
         FROM transit.trips t JOIN transit.routes r ON r.id = t.route_id
        WHERE t.operator_id = $1 AND t.status = 'CHARGED' AND t.charged_at >= $2 AND t.charged_at < $3
        GROUP BY r.code, r.id, t.currency ORDER BY r.code`,
      [operatorId, start, end],
    )) as { route_code: string; route_id: string; currency: string; count: number; total: string }[];
  }
}
