import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { ConflictError } from '../errors/domain-error.js';
import { CLAIM_SECONDS, IdempotencyRepository } from './idempotency.repository.js';
import type { ClaimRef } from './idempotency.repository.js';
import { OwnerSession } from './owner-session.js';

export { IDEMPOTENCY_TTL_HOURS } from './idempotency.repository.js';

/** When a failed claim is deleted a second time (see IdempotencyService.forget). */
const FORGET_AGAIN_MS = 2_000;

export interface IdempotencyContext {
  scope: string;
  key: string;
  claim: string;
  status: number;
  /** Set once the response was stored inside the request's transaction. */
  recorded: boolean;
  /** The request's hash, for a key claimed by the use case's own statement. */
  requestHash: Buffer;
  /**
   * The key is not claimed yet: the use case's statement claims it (see
   * `sqlRecord()`), or the request goes the ordinary way after it
   * (`@Idempotent({ claimInStatement })`).
   */
  claimInStatement: boolean;
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
 * A statement that claims its request's key (`sqlRecord().requestHash`)
 * found the key there already (SQLSTATE IK100 of
 * common.idempotency_claim_fresh): it did nothing, and the interceptor
 * claims the key the ordinary way. Not an answer to a client.
 */
export class IdempotencyKeyExistsError extends ConflictError {
  constructor() {
    super('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key was made before');
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

  constructor(
    dataSource: DataSource,
    private readonly repository: IdempotencyRepository,
  ) {
    this.owner = new OwnerSession(dataSource, repository);
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
    let claimed: boolean;
    try {
      claimed = await this.repository.claim(scope, key, requestHash, claim, owner);
    } catch (err) {
      this.owner.running.delete(claim);
      this.forget({ scope, key, claim });
      throw err;
    }
    if (claimed) {
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
    const row = await this.repository.find(scope, key);
    if (!row) return this.claim(scope, key, requestHash);
    if (!row.requestHash.equals(requestHash)) return { kind: 'mismatch' };
    if (row.completed) return { kind: 'replay', status: row.responseStatus!, body: row.responseBody };
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
    if (ctx.claimInStatement) throw new Error('This request claims its Idempotency-Key in its own statement (sqlRecord()); record() has no claim to complete');
    if (!(await this.repository.complete(ctx, ctx.status, body, manager))) throw new IdempotencyClaimLostError();
    ctx.recorded = true;
  }

  /**
   * For a use case whose own SQL stores the response in its statement (by
   * `common.idempotency_record(scope, key, claim, status, body)`, which
   * raises SQLSTATE IK409 when the claim was lost): the arguments, or
   * nothing outside an idempotent request. Call `recordedInSql()` once that
   * statement committed.
   *
   * With `requestHash` set (a route of `@Idempotent({ claimInStatement })`),
   * the key is not claimed yet: the statement claims it first, in its
   * transaction (`common.idempotency_claim_fresh()`), and lets IK100
   * (`IdempotencyKeyExistsError`) out when the key was there already.
   */
  sqlRecord(): { scope: string; key: string; claim: string; status: number; requestHash: Buffer | null } | undefined {
    const ctx = this.current();
    return ctx && { scope: ctx.scope, key: ctx.key, claim: ctx.claim, status: ctx.status, requestHash: ctx.claimInStatement ? ctx.requestHash : null };
  }

  /** The response of the current request was stored by its own SQL (see `sqlRecord()`), with its effects. */
  recordedInSql(): void {
    const ctx = this.current();
    if (ctx) ctx.recorded = true;
  }

  /** Stores a response outside any transaction (requests that wrote nothing, and business refusals). */
  async complete(ctx: IdempotencyContext, status: number, body: unknown): Promise<void> {
    await this.repository.complete(ctx, status, body);
  }

  /**
   * A claim whose statement failed may have committed without this process
   * learning it (its connection lost at the commit, or the statement still
   * running on the server after the client gave up): under this live owner
   * the key would answer IN_PROGRESS to every retry until its lock expired.
   * No request runs under it, so it is deleted by its own id (a no-op if it
   * never committed, or was taken over): at once, and once more a little
   * later for a statement that commits late. Two attempts at most, errors
   * ignored: in a database outage every claim fails, and the lock still
   * frees the key in the end.
   */
  private forget(ref: ClaimRef): void {
    const attempt = () =>
      this.repository.release(ref).catch((err: unknown) => this.logger.debug(`Could not delete a failed claim (${(err as Error).message})`));
    void attempt();
    setTimeout(() => void attempt(), FORGET_AGAIN_MS).unref();
  }

  /**
   * Gives the key back (bad input, server faults): nothing happened, the
   * client may retry with it. The database may be failing right now (that
   * is often why the request failed), so a failed release is retried in the
   * background for a while; it never masks the request's own error.
   */
  async release(ctx: IdempotencyContext): Promise<void> {
    const release = () => this.repository.release(ctx);
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

  purgeExpired(): Promise<number> {
    return this.repository.purgeExpired();
  }
}
