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
