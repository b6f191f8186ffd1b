import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { ConflictError } from '../errors/domain-error.js';
import { affectedRows, returnedRows } from '../sql/query-results.js';
import { OwnerSession } from './owner-session.js';

/**
 * How long a claim protects a running request before another may take it
 * over even though its owner's backend still exists (a hung request), and
 * the only protection of claims made before owners were recorded.
 */
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
 *
 * A claim records its owner: the backend (pid and start time) of this
 * process's owner session. A claim whose backend `pg_stat_activity` no
 * longer lists belongs to a process that is gone, and a retry takes it over
 * at once, atomically (the conditional upsert below re-checks under the row
 * lock, so two retries never both win). A live owner's claim is never taken
 * over before its lock expires.
 */
@Injectable()
export class IdempotencyService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly als = new AsyncLocalStorage<IdempotencyContext>();
  private readonly logger = new Logger('Idempotency');
  private readonly owner: OwnerSession;

  constructor(private readonly dataSource: DataSource) {
    this.owner = new OwnerSession(dataSource);
  }

  /** Opens the owner connection now, so the first idempotent request does not wait for it (a failure is retried on first use). */
  onApplicationBootstrap(): void {
    this.owner.current().catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    await this.owner.close();
  }

  current(): IdempotencyContext | undefined {
    return this.als.getStore();
  }

  run<T>(context: IdempotencyContext, work: () => Promise<T>): Promise<T> {
    return this.als.run(context, work);
  }

  async claim(scope: string, key: string, requestHash: Buffer): Promise<Claim> {
    const owner = await this.owner.current();
    const claim = randomUUID();
    this.owner.running.add(claim);
    let claimed: { claim: string }[];
    try {
      claimed = (await this.dataSource.query(
        `INSERT INTO common.idempotency_keys AS k (scope, key, request_hash, claim, status, locked_until, owner_pid, owner_started)
         VALUES ($1, $2, $3, $4, 'IN_PROGRESS', now() + make_interval(secs => ${CLAIM_SECONDS}), $5, $6::timestamptz)
         ON CONFLICT (scope, key) DO UPDATE SET
           request_hash = EXCLUDED.request_hash, claim = EXCLUDED.claim, status = 'IN_PROGRESS',
           response_status = NULL, response_body = NULL, locked_until = EXCLUDED.locked_until,
           owner_pid = EXCLUDED.owner_pid, owner_started = EXCLUDED.owner_started,
           created_at = now(), completed_at = NULL
         WHERE k.created_at < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})
            OR (k.status = 'IN_PROGRESS' AND k.request_hash = EXCLUDED.request_hash AND (
                  k.locked_until < now()
                  OR (k.owner_pid IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM pg_stat_activity a WHERE a.pid = k.owner_pid AND a.backend_start = k.owner_started))))
         RETURNING claim`,
        [scope, key, requestHash, claim, owner.pid, owner.started],
      )) as { claim: string }[];
    } catch (err) {
      this.owner.running.delete(claim);
      throw err;
    }
    if (claimed[0]?.claim === claim) {
      try {
        await this.owner.confirm(claim, owner);
      } catch (err) {
        // tagged with a backend that is gone: a retry takes this claim over at once
        this.owner.running.delete(claim);
        throw err;
      }
      return { kind: 'claimed', claim };
    }
    this.owner.running.delete(claim);
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

  /** The request of this claim is over (whatever became of its row): its claim no longer follows this process's owner session. */
  finished(ctx: IdempotencyContext): void {
    this.owner.running.delete(ctx.claim);
  }

  /**
   * Stores the response inside the caller's transaction. A no-op outside an
   * idempotent request. Throws (rolling the transaction back) if another
   * request took the claim over meanwhile.
   */
  async record(manager: EntityManager, body: unknown): Promise<void> {
    const ctx = this.current();
    if (!ctx) return;
    const updated = returnedRows(
      await manager.query(
        `UPDATE common.idempotency_keys SET status = 'COMPLETED', response_status = $4, response_body = $5, completed_at = now()
          WHERE scope = $1 AND key = $2 AND claim = $3 AND status = 'IN_PROGRESS' RETURNING 1`,
        [ctx.scope, ctx.key, ctx.claim, ctx.status, JSON.stringify(body)],
      ),
    );
    if (updated.length === 0) throw new IdempotencyClaimLostError();
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

  /**
   * Gives the key back (bad input, server faults): nothing happened, the
   * client may retry with it. The database may be failing right now (that
   * is often why the request failed), so a failed release is retried in the
   * background for a while; it never masks the request's own error.
   */
  async release(ctx: IdempotencyContext): Promise<void> {
    const release = () =>
      this.dataSource.query(`DELETE FROM common.idempotency_keys WHERE scope = $1 AND key = $2 AND claim = $3 AND status = 'IN_PROGRESS'`, [
        ctx.scope,
        ctx.key,
        ctx.claim,
      ]);
    try {
      await release();
    } catch (err) {
      this.logger.warn(`Could not give idempotency key back yet (${(err as Error).message}); retrying in the background`);
      const retry = (attempt: number): void => {
        setTimeout(() => {
          release().then(
            () => undefined,
            () => (attempt < 40 ? retry(attempt + 1) : this.logger.error(`Gave up giving an idempotency key back; it frees itself after ${CLAIM_SECONDS} s`)),
          );
        }, Math.min(25 * 2 ** attempt, 1000)).unref();
      };
      retry(1);
    }
  }

  async purgeExpired(): Promise<number> {
    return affectedRows(
      await this.dataSource.query(`DELETE FROM common.idempotency_keys WHERE created_at < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`),
    );
  }
}
