import { Injectable, Optional } from '@nestjs/common';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { GroupCommit, WHEN_STALLED } from '../sql/group-commit.js';
import { affectedRows, returnedRows } from '../sql/query-results.js';

/**
 * How long a claim protects a running request before another may take it
 * over even though its owner's backend still exists (a hung request), and
 * the only protection of claims made before owners were recorded.
 */
export const CLAIM_SECONDS = 60;
/** How long a key and its response are kept (api.md: 24 h). */
export const IDEMPOTENCY_TTL_HOURS = 24;

/** The backend that owns a claim (see OwnerSession). */
export interface ClaimOwner {
  pid: number;
  started: string;
}

/** Claims one statement of the claims' group commit takes at most (no subtransaction per claim: see common.idempotency_claim_batch). */
const CLAIMS_PER_STATEMENT = 32;
/** Attempts of a claim whose statement was a deadlock's (or a serialization failure's) victim. */
const CLAIM_ATTEMPTS = 3;

interface PendingClaim {
  scope: string;
  key: string;
  requestHash: Buffer;
  claim: string;
  owner: ClaimOwner;
}

/** A key's row as a later request with the same key sees it. */
export interface StoredKey {
  requestHash: Buffer;
  completed: boolean;
  responseStatus: number | null;
  responseBody: unknown;
}

/** A claim of a running request: whose key it is and which claim holds it. */
export interface ClaimRef {
  scope: string;
  key: string;
  claim: string;
}

/**
 * The SQL of idempotency keys (common.idempotency_keys). The one statement
 * that a use case's own SQL may run instead, inside its transaction, is
 * `common.idempotency_record()` (migration 1764800200000): the same
 * conditional completion as `record()` here.
 */
@Injectable()
export class IdempotencyRepository {
  constructor(
    private readonly dataSource: DataSource,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** Claims, grouped: one statement and one commit for the claims that arrive while others run. */
  private readonly claims = new GroupCommit<PendingClaim, string | null>({
    // one at a time, as wallet payments (see PayBillService)
    maxInFlight: 1,
    whenStalled: WHEN_STALLED,
    maxBatch: CLAIMS_PER_STATEMENT,
    onBatch: (size) => this.metrics?.groupCommitBatch.observe({ statement: 'common_idempotency_claim' }, size),
    // a key's row is its lock: two statements take the keys they share in the same order
    lockOrder: (c) => `${c.scope}\u0000${c.key}`,
    run: async (items, inEachContext) => {
      // common.idempotency_claim_batch(): each claim as common.idempotency_claim() (planned once per
      // session, see its migration), called by a named prepared statement (parsed once per connection)
      const text = `SELECT ord, claim FROM common.idempotency_claim_batch($1, $2, $3, $4, $5, $6::timestamptz[], $7, $8)`;
      const values = [
        items.map((c) => c.scope),
        items.map((c) => c.key),
        items.map((c) => c.requestHash),
        items.map((c) => c.claim),
        items.map((c) => c.owner.pid),
        items.map((c) => c.owner.started),
        CLAIM_SECONDS,
        IDEMPOTENCY_TTL_HOURS,
      ];
      // as TypeORM logs the queries it runs; once in each claiming request's context (its request id)
      inEachContext(() => this.dataSource.logger.logQuery(text, values));
      const pool = (this.dataSource.driver as PostgresDriver).master as pg.Pool;
      const { rows } = await pool.query<{ ord: number; claim: string | null }>({ name: 'common.idempotency_claim_batch', text, values });
      const outcomes = new Array<{ ok: true; value: string | null }>(items.length);
      for (const row of rows) outcomes[row.ord - 1] = { ok: true, value: row.claim };
      return outcomes;
    },
  });

  /**
   * Inserts the claim, or takes the key over when its row expired, or is
   * IN_PROGRESS for the same request and its owner is gone (lock expired or
   * backend no longer in pg_stat_activity; re-checked under the row lock, so
   * two takers never both win). Answers whether `claim` holds the key now.
   * One call of `common.idempotency_claim()` (migration 1764900100000), in a
   * statement shared with the claims that arrive while others run.
   */
  async claim(scope: string, key: string, requestHash: Buffer, claim: string, owner: ClaimOwner): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.claims.submit({ scope, key, requestHash, claim, owner })) === claim;
      } catch (err) {
        // a statement of several claims can be a deadlock's victim (a takeover of a key whose first
        // request's payment is committing in another statement): it did nothing, so it is sent again
        const code = (err as { code?: unknown }).code;
        if (attempt >= CLAIM_ATTEMPTS || (code !== '40P01' && code !== '40001')) throw err;
      }
    }
  }

  async find(scope: string, key: string): Promise<StoredKey | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT request_hash, status, response_status, response_body FROM common.idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key],
    )) as { request_hash: Buffer; status: string; response_status: number | null; response_body: unknown }[];
    if (!row) return undefined;
    return { requestHash: row.request_hash, completed: row.status === 'COMPLETED', responseStatus: row.response_status, responseBody: row.response_body };
  }

  /**
   * Stores the response while `ref.claim` still holds the key, in the given
   * transaction (or on its own); answers false when another request took
   * the key over meanwhile.
   */
  async complete(ref: ClaimRef, status: number, body: unknown, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const updated = returnedRows(
      await manager.query(
        `UPDATE common.idempotency_keys SET status = 'COMPLETED', response_status = $4, response_body = $5, completed_at = now()
          WHERE scope = $1 AND key = $2 AND claim = $3 AND status = 'IN_PROGRESS' RETURNING 1`,
        [ref.scope, ref.key, ref.claim, status, JSON.stringify(body)],
      ),
    );
    return updated.length > 0;
  }

  /** Gives the key back (the claim's request did nothing). */
  async release(ref: ClaimRef): Promise<void> {
    await this.dataSource.query(`DELETE FROM common.idempotency_keys WHERE scope = $1 AND key = $2 AND claim = $3 AND status = 'IN_PROGRESS'`, [
      ref.scope,
      ref.key,
      ref.claim,
    ]);
  }

  /** Moves running claims onto another owner backend (the owner session was replaced). */
  async retag(claims: readonly string[], owner: ClaimOwner): Promise<void> {
    if (claims.length === 0) return;
    await this.dataSource.query(
      `UPDATE common.idempotency_keys SET owner_pid = $1, owner_started = $2::timestamptz
        WHERE claim = ANY($3::uuid[]) AND status = 'IN_PROGRESS'`,
      [owner.pid, owner.started, [...claims]],
    );
  }

  async purgeExpired(): Promise<number> {
    return affectedRows(
      await this.dataSource.query(`DELETE FROM common.idempotency_keys WHERE created_at < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`),
    );
  }
}
