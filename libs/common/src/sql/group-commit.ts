import { AsyncResource } from 'node:async_hooks';

/**
 * Group commit for a use case that is one statement (a POS charge): requests
 * that arrive while `maxInFlight` statements are already running wait, and
 * the next statement takes up to `maxBatch` of them at once, in one
 * transaction where each item runs in its own subtransaction (the SQL side:
 * see campus.pos_charge_batch). One commit, one round trip and one statement
 * start then serve many requests, which is what a canteen at noon needs from
 * a two-core database; with little traffic every request still goes alone
 * and at once (no timer: a batch forms only from requests that had to wait).
 *
 * An item's refusal is that item's: the statement answers an outcome per
 * item, and a refused item's writes are undone by its subtransaction only.
 * A failure of the statement itself (connection lost, timeout) is every
 * item's, each caller's retry rules then apply as for a statement of its own.
 */
export type ItemOutcome<O> = { ok: true; value: O } | { ok: false; error: Error };

export interface GroupCommitOptions<I, O> {
  /**
   * The statement for a batch: exactly one outcome per item, in the order it
   * was given them. `inEachContext(fn)` runs `fn` once in the async context of
   * every item's request (its logging context: the statement's log line is
   * then each request's, with each request's id, not only the one that
   * happened to send it).
   */
  run: (items: I[], inEachContext: (fn: () => void) => void) => Promise<ItemOutcome<O>[]>;
  /** Items per statement at most. */
  maxBatch: number;
  /** Statements running at once (each holds a pooled connection). */
  maxInFlight: number;
  /**
   * More statements, up to `upTo`, once every running one has run longer
   * than `afterMs`: one stuck behind a row lock or a slow commit does not
   * hold back the requests behind it. Without: maxInFlight is the limit.
   */
  whenStalled?: { afterMs: number; upTo: number };
  /**
   * The order items are sent in (their rows' lock order): two statements
   * that lock rows in one order cannot deadlock on each other. Arrival order
   * when absent.
   */
  lockOrder?: (item: I) => string;
  /** Told the size of every batch sent (a metric). */
  onBatch?: (size: number) => void;
}

/**
 * Beyond the statements a group commit runs normally, up to four when the
 * running ones have taken more than 25 ms (they wait on a lock or a slow
 * commit rather than work).
 */
export const WHEN_STALLED = { afterMs: 25, upTo: 4 } as const;

interface Waiting<I, O> {
  item: I;
  /** The submitting request's async context. */
  context: AsyncResource;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<I, O> {
  private readonly waiting: Waiting<I, O>[] = [];
  /** When each running statement was sent (performance.now()). */
  private readonly running = new Set<{ sentAt: number }>();
  /** Set while requests wait for the running statements to count as stalled. */
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: GroupCommitOptions<I, O>) {
    if (!(options.maxBatch >= 1 && options.maxInFlight >= 1)) throw new RangeError('maxBatch and maxInFlight must be at least 1');
  }

  /** Runs `item` in the next statement: its own outcome, or the statement's failure. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, context: new AsyncResource('GroupCommitItem'), resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    const { maxInFlight, maxBatch, whenStalled } = this.options;
    const limit = Math.max(maxInFlight, whenStalled?.upTo ?? 0);
    while (this.running.size < limit && this.waiting.length > 0) {
      if (this.running.size >= maxInFlight) {
        // beyond maxInFlight only once the youngest running statement has run longer than whenStalled.afterMs
        const youngest = Math.max(...[...this.running].map((r) => r.sentAt));
        const wait = youngest + whenStalled!.afterMs - performance.now();
        if (wait > 0) {
          this.stallTimer ??= setTimeout(() => {
            this.stallTimer = undefined;
            this.pump();
          }, Math.ceil(wait)).unref();
          return;
        }
      }
      const batch = this.waiting.splice(0, maxBatch);
      const statement = { sentAt: performance.now() };
      this.running.add(statement);
      void this.send(batch).finally(() => {
        this.running.delete(statement);
        this.pump();
      });
    }
  }

  /** Never rejects: whatever fails (the statement, or a hook before it) is every item's rejection. */
  private async send(batch: Waiting<I, O>[]): Promise<void> {
    let outcomes: ItemOutcome<O>[];
    try {
      this.options.onBatch?.(batch.length);
      const key = this.options.lockOrder;
      if (key) {
        const keys = new Map(batch.map((w) => [w, key(w.item)]));
        // a stable sort: items of one key keep their arrival order
        batch.sort((a, b) => (keys.get(a)! < keys.get(b)! ? -1 : keys.get(a)! > keys.get(b)! ? 1 : 0));
      }
      outcomes = await this.options.run(
        batch.map((w) => w.item),
        (fn) => {
          for (const w of batch) w.context.runInAsyncScope(fn);
        },
      );
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const outcome = outcomes[i];
      if (!outcome) w.reject(new Error(`group commit: the statement answered ${outcomes.length} outcomes for ${batch.length} items`));
      else if (outcome.ok) w.resolve(outcome.value);
      else w.reject(outcome.error);
    });
  }
}

/**
 * An item refused inside a batched statement: PostgreSQL's SQLSTATE and
 * message (and detail) as its subtransaction caught them, shaped like the
 * driver's error (`code`, `driverError.code`, `.message`, `.detail`) so
 * that the rules which read a statement's error (sqlState(), retries, the
 * HTTP error filter) read it the same.
 */
export class BatchItemError extends Error {
  readonly driverError: { code: string; message: string; detail?: string };

  constructor(
    readonly code: string,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'BatchItemError';
    this.driverError = { code, message, ...(detail ? { detail } : {}) };
  }
}
