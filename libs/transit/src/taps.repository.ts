import { returnedRows } from '@app/database';
import type { EntityManager } from 'typeorm';

export interface StoredTap {
  tap_id: string;
  status: string;
  reason: string | null;
  fare: string | null;
  currency: string | null;
  trip_id: string | null;
}

export interface TapResultWrite {
  tapId: string;
  status: string;
  reason: string | null;
  fare: bigint | null;
  currency: string | null;
  tripId: string | null;
}

/** SQL of taps and code uses (schema transit): each a set-based statement per batch. */
export class TapsRepository {
  /** Records the taps (PROCESSING); answers the tapIds that were new (the others were sent before). */
  async claim(m: EntityManager, deviceId: string, operatorId: string, taps: readonly { tapId: string; scannedAt: Date | null; direction: string | null }[]): Promise<Set<string>> {
    if (taps.length === 0) return new Set();
    const rows = (await m.query(
      `INSERT INTO transit.taps (device_id, tap_id, operator_id, scanned_at, direction, status)
       SELECT $1, t.id, $2, t.scanned, t.dir, 'PROCESSING' FROM unnest($3::uuid[], $4::timestamptz[], $5::text[]) AS t(id, scanned, dir)
       ON CONFLICT (device_id, tap_id) DO NOTHING RETURNING tap_id`,
      [deviceId, operatorId, taps.map((t) => t.tapId), taps.map((t) => t.scannedAt), taps.map((t) => t.direction)],
    )) as { tap_id: string }[];
    return new Set(rows.map((r) => r.tap_id));
  }

  async stored(m: EntityManager, deviceId: string, tapIds: readonly string[]): Promise<StoredTap[]> {
    if (tapIds.length === 0) return [];
    return (await m.query(`SELECT tap_id, status, reason, fare::text, currency, trip_id FROM transit.taps WHERE device_id = $1 AND tap_id = ANY($2::uuid[])`, [
      deviceId,
      tapIds,
    ])) as StoredTap[];
  }

  /** Uses codes once: answers the tapIds whose use was first (the database decides, across readers and batches). */
  async useCodes(m: EntityManager, deviceId: string, uses: readonly { key: string; tapId: string; tripId: string | null }[]): Promise<Set<string>> {
    if (uses.length === 0) return new Set();
    const rows = (await m.query(
      `INSERT INTO transit.code_uses (use_key, device_id, tap_id, trip_id)
       SELECT u.key, $1, u.tap, u.trip FROM unnest($2::text[], $3::uuid[], $4::uuid[]) WITH ORDINALITY AS u(key, tap, trip, n) ORDER BY u.n
       ON CONFLICT (use_key) DO NOTHING RETURNING tap_id`,
      [deviceId, uses.map((u) => u.key), uses.map((u) => u.tapId), uses.map((u) => u.tripId)],
    )) as { tap_id: string }[];
    return new Set(rows.map((r) => r.tap_id));
  }

  async saveResults(m: EntityManager, deviceId: string, results: readonly TapResultWrite[]): Promise<void> {
    if (results.length === 0) return;
    await m.query(
      `UPDATE transit.taps x SET status = r.status, reason = r.reason, fare = r.fare, currency = r.currency, trip_id = r.trip
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::uuid[]) AS r(id, status, reason, fare, currency, trip)
        WHERE x.device_id = $1 AND x.tap_id = r.id`,
      [
        deviceId,
        results.map((r) => r.tapId),
        results.map((r) => r.status),
        results.map((r) => r.reason),
        results.map((r) => (r.fare === null ? null : r.fare.toString())),
        results.map((r) => r.currency),
        results.map((r) => r.tripId),
      ],
    );
  }
}

/** A DISTANCE tap-out that arrived before its tap-in, held for it. */
export interface HeldTapOut {
  deviceId: string;
  tapId: string;
  riderUserId: string;
  operatorId: string;
  routeId: string;
  vehicleId: string | null;
  scannedAt: Date;
  stopOut: number;
}

/** A held tap-out closed by its tap-in: the trip, and the result its tap is answered from then on. */
export interface HeldMatch {
  deviceId: string;
  tapId: string;
  tripId: string;
  status: string;
  fare: bigint;
  currency: string;
}

/** SQL of held tap-outs (schema transit), read and written under the riders' locks. */
export class HeldTapOutsRepository {
  async hold(m: EntityManager, held: readonly HeldTapOut[]): Promise<void> {
    if (held.length === 0) return;
    await m.query(
      `INSERT INTO transit.held_tap_outs (device_id, tap_id, rider_user_id, operator_id, route_id, vehicle_id, scanned_at, stop_out)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::timestamptz[], $8::int[])`,
      [
        held.map((h) => h.deviceId),
        held.map((h) => h.tapId),
        held.map((h) => h.riderUserId),
        held.map((h) => h.operatorId),
        held.map((h) => h.routeId),
        held.map((h) => h.vehicleId),
        held.map((h) => h.scannedAt),
        held.map((h) => h.stopOut),
      ],
    );
  }

  /** The tap-outs of these riders still waiting for their tap-in, oldest scan first. */
  async waiting(m: EntityManager, riderUserIds: readonly string[]): Promise<HeldTapOut[]> {
    if (riderUserIds.length === 0) return [];
    const rows = (await m.query(
      `SELECT device_id, tap_id, rider_user_id, operator_id, route_id, vehicle_id, scanned_at, stop_out FROM transit.held_tap_outs
        WHERE rider_user_id = ANY($1::uuid[]) AND trip_id IS NULL ORDER BY scanned_at, tap_id`,
      [riderUserIds],
    )) as { device_id: string; tap_id: string; rider_user_id: string; operator_id: string; route_id: string; vehicle_id: string | null; scanned_at: Date; stop_out: number }[];
    return rows.map((r) => ({ deviceId: r.device_id, tapId: r.tap_id, riderUserId: r.rider_user_id, operatorId: r.operator_id, routeId: r.route_id, vehicleId: r.vehicle_id, scannedAt: r.scanned_at, stopOut: r.stop_out }));
  }

  /** Riders with a held tap-out still unmatched and scanned before `before`, at most `limit`, in id order. */
  async ridersWithExpired(m: EntityManager, before: Date, limit: number): Promise<string[]> {
    const rows = (await m.query(
      `SELECT DISTINCT rider_user_id FROM (
         SELECT rider_user_id FROM transit.held_tap_outs WHERE trip_id IS NULL AND scanned_at < $1 ORDER BY scanned_at LIMIT $2) o
       ORDER BY rider_user_id`,
      [before, limit],
    )) as { rider_user_id: string }[];
    return rows.map((r) => r.rider_user_id);
  }

  /**
   * Drops these riders' (locked by the caller) unmatched held tap-outs
   * scanned before `before`; their taps are answered REJECTED NO_TAP_IN from
   * then on. Answers how many.
   */
  async expire(m: EntityManager, riderUserIds: readonly string[], before: Date): Promise<number> {
    if (riderUserIds.length === 0) return 0;
    const rows = returnedRows(
      await m.query(
        `WITH gone AS (
           DELETE FROM transit.held_tap_outs WHERE rider_user_id = ANY($1::uuid[]) AND trip_id IS NULL AND scanned_at < $2 RETURNING device_id, tap_id)
         UPDATE transit.taps t SET status = 'REJECTED', reason = 'NO_TAP_IN', fare = NULL, currency = NULL, trip_id = NULL
           FROM gone WHERE t.device_id = gone.device_id AND t.tap_id = gone.tap_id RETURNING t.tap_id`,
        [riderUserIds, before],
      ),
    );
    return rows.length;
  }

  /** Drops up to `limit` held tap-outs already matched (their tap and trip hold all they said). Answers how many. */
  async purgeMatched(m: EntityManager, limit: number): Promise<number> {
    return returnedRows(
      await m.query(
        `DELETE FROM transit.held_tap_outs WHERE (device_id, tap_id) IN (SELECT device_id, tap_id FROM transit.held_tap_outs WHERE trip_id IS NOT NULL LIMIT $1) RETURNING tap_id`,
        [limit],
      ),
    ).length;
  }

  /** Closes held tap-outs with their trips (call after the trips are written); their taps answer the trip's result from then on. */
  async matched(m: EntityManager, matches: readonly HeldMatch[]): Promise<void> {
    if (matches.length === 0) return;
    const args = [
      matches.map((x) => x.deviceId),
      matches.map((x) => x.tapId),
      matches.map((x) => x.tripId),
      matches.map((x) => x.status),
      matches.map((x) => x.fare.toString()),
      matches.map((x) => x.currency),
    ];
    await m.query(
      `UPDATE transit.held_tap_outs h SET trip_id = x.trip, matched_at = now()
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS x(dev, tap, trip)
        WHERE h.device_id = x.dev AND h.tap_id = x.tap AND h.trip_id IS NULL`,
      args.slice(0, 3),
    );
    await m.query(
      `UPDATE transit.taps t SET status = x.status, reason = NULL, fare = x.fare, currency = x.currency, trip_id = x.trip
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::bigint[], $6::text[]) AS x(dev, tap, trip, status, fare, currency)
        WHERE t.device_id = x.dev AND t.tap_id = x.tap`,
      args,
    );
  }
}
