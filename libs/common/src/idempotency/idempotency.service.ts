import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { ConflictError } from '../errors/domain-error.js';

/** How long a claim protects a running request before another may take it over. */
const CLAIM_SECONDS = 60;
/** How long a key and its response are kept (api.md: 24 h). */
export const IDEMPOTENCY_TTL_HOURS = 24;

export interface IdempotencyContext {
  scope: string;
  key: string;
  claim: string;
  status: number;
  /** Set once the response was stored inside the request's transaction. */
  recorded: boolean;
}

export type Claim =
  | { kind: 'claimed'; claim: string }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' };

export class IdempotencyClaimLostError extends ConflictError {
  constructor() {
    super('IDEMPOTENCY_IN_PROGRESS', 'Another request with this Idempotency-Key took over; retry to get its response');
  }
}

/**
 * PostgreSQL-backed idempotency keys, scoped to the caller. A request claims
 * its key (one insert); the response is stored in the same transaction as
 * the request's effects (`record`), and only while the claim is still its
 * own, so an effect never commits without its response, nor twice.
 */
@Injectable()
export class IdempotencyService {
  private readonly als = new AsyncLocalStorage<IdempotencyContext>();

  constructor(private readonly dataSource: DataSource) {}

  current(): IdempotencyContext | undefined {
    return this.als.getStore();
  }

  run<T>(context: IdempotencyContext, work: () => Promise<T>): Promise<T> {
    return this.als.run(context, work);
  }

  async claim(scope: string, key: string, requestHash: Buffer): Promise<Claim> {
    const claim = randomUUID();
    const claimed = (await this.dataSource.query(
      `INSERT INTO common.idempotency_keys AS k (scope, key, request_hash, claim, status, locked_until)
       VALUES ($1, $2, $3, $4, 'IN_PROGRESS', now() + make_interval(secs => ${CLAIM_SECONDS}))
       ON CONFLICT (scope, key) DO UPDATE SET
         request_hash = EXCLUDED.request_hash, claim = EXCLUDED.claim, status = 'IN_PROGRESS',
         response_status = NULL, response_body = NULL, locked_until = EXCLUDED.locked_until,
         created_at = now(), completed_at = NULL
       WHERE k.created_at < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})
          OR (k.status = 'IN_PROGRESS' AND k.locked_until < now() AND k.request_hash = EXCLUDED.request_hash)
       RETURNING claim`,
      [scope, key, requestHash, claim],
    )) as { claim: string }[];
    if (claimed[0]?.claim === claim) return { kind: 'claimed', claim };
    return this.inspect(scope, key, requestHash);
  }

  async inspect(scope: string, key: string, requestHash: Buffer): Promise<Claim> {
    const [row] = (await this.dataSource.query(
      `SELECT request_hash, status, response_status, response_body FROM common.idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key],
    )) as { request_hash: Buffer; status: string; response_status: number | null; response_body: unknown }[];
    if (!row) return this.claim(scope, key, requestHash);
    if (!row.request_hash.equals(requestHash)) return { kind: 'mismatch' };
    if (row.status === 'COMPLETED') return { kind: 'replay', status: row.response_status!, body: row.response_body };
    return { kind: 'in-progress' };
  }

  /**
   * Stores the response inside the caller's transaction. A no-op outside an
   * idempotent request. Throws (rolling the transaction back) if another
   * request took the claim over meanwhile.
   */
  async record(manager: EntityManager, body: unknown): Promise<void> {
    const ctx = this.current();
    if (!ctx) return;
    const updated = (await manager.query(
      `UPDATE common.idempotency_keys SET status = 'COMPLETED', response_status = $4, response_body = $5, completed_at = now()
        WHERE scope = $1 AND key = $2 AND claim = $3 AND status = 'IN_PROGRESS' RETURNING 1`,
      [ctx.scope, ctx.key, ctx.claim, ctx.status, JSON.stringify(body)],
    )) as [unknown[], number];
    if (updated[0].length === 0) throw new IdempotencyClaimLostError();
    ctx.recorded = true;
  }

  /** Stores a response outside any transaction (requests that wrote nothing, and business refusals). */
  async complete(ctx: IdempotencyContext, status: number, body: unknown): Promise<void> {
    await this.dataSource.query(
      `UPDATE common.idempotency_keys SET status = 'COMPLETED', response_status = $4, response_body = $5, completed_at = now()
        WHERE scope = $1 AND key = $2 AND claim = $3 AND status = 'IN_PROGRESS'`,
      [ctx.scope, ctx.key, ctx.claim, status, JSON.stringify(body)],
    );
  }

  /** Gives the key back (bad input, server faults): nothing happened, the client may retry with it. */
  async release(ctx: IdempotencyContext): Promise<void> {
    await this.dataSource.query(`DELETE FROM common.idempotency_keys WHERE scope = $1 AND key = $2 AND claim = $3 AND status = 'IN_PROGRESS'`, [
      ctx.scope,
      ctx.key,
      ctx.claim,
    ]);
  }

  async purgeExpired(): Promise<number> {
    const result = (await this.dataSource.query(
      `DELETE FROM common.idempotency_keys WHERE created_at < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`,
    )) as [unknown[], number];
    return result[1] ?? 0;
  }
}
