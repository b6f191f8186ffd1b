interface ErrorEmitter {
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface PoolErrorLog {
  warn(message: string): void;
}

/**
 * pg-pool's `onConnect` hook (set on every pool TypeORM creates, the primary
 * and each replica, through `extra`): gives each client a permanent `error`
 * listener from the moment it connects, before the pool first hands it out.
 *
 * pg-pool removes a client's idle listener when it hands the client out, and
 * TypeORM attaches its own only a microtask later. A backend termination
 * (57P01) read in the same tick as the client's first ReadyForQuery is
 * emitted in between: with no listener, Node throws "Unhandled 'error'
 * event" and the process dies with every request in flight. With this
 * listener the error is only logged; the client is broken, its next query
 * fails (503), and the pool discards it on release. Being the pool's own
 * hook, it also covers the clients a DataSource opens while it initialises
 * (a `pool.on('connect')` listener can only be added after that).
 */
export function permanentErrorListener(log?: PoolErrorLog): (client: ErrorEmitter) => void {
  return (client) => {
    client.on('error', (err: Error) => {
      const code = (err as { code?: unknown }).code;
      log?.warn(`Database connection lost${typeof code === 'string' ? ` (${code})` : ''}: ${err.message}`);
    });
  };
}
