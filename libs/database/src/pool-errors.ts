import type { DataSource } from 'typeorm';

interface ErrorEmitter {
  on(event: 'error', listener: (err: Error) => void): unknown;
}

interface PoolLike {
  on(event: 'connect', listener: (client: ErrorEmitter) => void): unknown;
}

export interface PoolErrorLog {
  warn(message: string): void;
}

const GUARDED = Symbol('citypay:pool-error-guard');

/**
 * Gives every client of the DataSource's pools (the primary and each replica)
 * a permanent `error` listener from the moment it connects.
 *
 * pg-pool removes a client's idle listener when it hands the client out, and
 * TypeORM attaches its own only a microtask later. A backend termination
 * (57P01) that arrives in the same socket read as the client's first
 * ReadyForQuery is emitted in between: with no listener, Node throws
 * "Unhandled 'error' event" and the process dies with every request in
 * flight. With this listener the error is only logged; the client is broken,
 * its next query fails, and the pool discards it on release.
 */
export function guardPoolClients(dataSource: DataSource, log: PoolErrorLog): void {
  const driver = dataSource.driver as unknown as { master?: PoolLike; slaves?: PoolLike[] };
  for (const pool of [driver.master, ...(driver.slaves ?? [])]) {
    if (!pool || (pool as { [GUARDED]?: boolean })[GUARDED]) continue;
    (pool as { [GUARDED]?: boolean })[GUARDED] = true;
    pool.on('connect', (client) => {
      client.on('error', (err: Error) => {
        const code = (err as { code?: unknown }).code;
        log.warn(`Database connection lost${typeof code === 'string' ? ` (${code})` : ''}: ${err.message}`);
      });
    });
  }
}
