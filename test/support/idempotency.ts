import type { DataSource } from 'typeorm';

/** A key's stored state, as a later request with it would find it (undefined: no such key). */
export interface StoredKeyRow {
  status: string;
  response_status: number;
  response_body: unknown;
}

export async function storedKey(ds: DataSource, scope: string, key: string): Promise<StoredKeyRow | undefined> {
  const rows = (await ds.query(`SELECT status, response_status, response_body FROM common.idempotency_keys WHERE scope = $1 AND key = $2`, [scope, key])) as StoredKeyRow[];
  return rows[0];
}

/** A key held by a running request's claim (IN_PROGRESS, locked for a minute, no owner recorded). */
export async function holdKey(ds: DataSource, scope: string, key: string, claim: string, requestHash: Buffer = Buffer.from([0])): Promise<void> {
  await ds.query(
    `INSERT INTO common.idempotency_keys (scope, key, request_hash, claim, status, locked_until) VALUES ($1, $2, $3, $4, 'IN_PROGRESS', now() + interval '1 minute')`,
    [scope, key, requestHash, claim],
  );
}
