import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';

/**
 * A TCP proxy in front of PostgreSQL that terminates backends for real
 * (`pg_terminate_backend`) at the worst moment: as a new connection is handed
 * out. It holds the server's startup answer after authentication (parameters,
 * BackendKeyData, ReadyForQuery) until it has terminated that backend and
 * received PostgreSQL's FATAL 57P01, then delivers both in one read, so the
 * termination reaches the client in the same tick as its ReadyForQuery: the
 * window in which pg-pool has removed its idle listener and the ORM has not
 * yet attached its own. Everything else passes through untouched.
 */
export interface FaultProxy {
  /** URL of `database` through the proxy. */
  url: string;
  /** Probability (0..1) that a new connection is terminated at hand-out. */
  killAtHandout: number;
  /** Connections terminated at hand-out so far. */
  readonly killedAtHandout: number;
  /** Backend pids of the connections open through the proxy. */
  backendPids(): number[];
  close(): Promise<void>;
}

export async function startFaultProxy(upstreamUrl: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  const host = upstream.hostname;
  const port = Number(upstream.port || 5432);
  // a pool: the proxy's own connection may be terminated by a chaos test too
  const admin = new pg.Pool({ connectionString: upstreamUrl, application_name: 'fault-proxy', max: 2 });
  admin.on('error', () => undefined);

  const sockets = new Set<Socket>();
  const pids = new Map<Socket, number>();
  let killed = 0;

  const server: Server = createServer((client) => {
    sockets.add(client);
    const server = connect(port, host);
    sockets.add(server);
    const kill = Math.random() < state.killAtHandout;
    let held: Buffer = Buffer.alloc(0);
    let handshaking = true;
    let authenticated = false;
    let terminating = false;
    let pid = 0;

    const destroyBoth = (): void => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
      pids.delete(client);
    };
    client.on('error', destroyBoth);
    server.on('error', destroyBoth);
    client.on('close', destroyBoth);
    client.on('data', (d: Buffer) => server.write(d));

    server.on('data', (d: Buffer) => {
      if (!handshaking) {
        client.write(d);
        return;
      }
      held = Buffer.concat([held, d]);
      if (terminating) return;
      // walk the complete messages: 1 byte type, int32 length (itself included)
      for (let at = 0; at + 5 <= held.length; ) {
        const type = String.fromCharCode(held[at]);
        const length = held.readInt32BE(at + 1);
        if (at + 1 + length > held.length) break;
        if (!authenticated) {
          // the password exchange (SCRAM on a server that asks for one) passes at once: the client
          // has to answer it; what is held starts after AuthenticationOk
          if (type === 'R' && held.readInt32BE(at + 5) === 0) authenticated = true;
          client.write(held.subarray(0, at + 1 + length));
          held = held.subarray(at + 1 + length);
          at = 0;
          continue;
        }
        if (type === 'K') pid = held.readInt32BE(at + 5);
        at += 1 + length;
        if (type !== 'Z') continue;
        pids.set(client, pid);
        if (!kill || pid === 0) {
          handshaking = false;
          client.write(held);
          held = Buffer.alloc(0);
          return;
        }
        terminating = true;
        const terminate = (attempt: number): void => {
          admin.query('SELECT pg_terminate_backend($1)', [pid]).then(
            () => undefined,
            () => {
              if (attempt < 3) return terminate(attempt + 1);
              // could not kill it: let the connection through unharmed
              terminating = false;
              handshaking = false;
              client.write(held);
            },
          );
        };
        terminate(1);
        return;
      }
    });
    server.on('end', () => {
      if (terminating) {
        killed++;
        client.end(held); // ReadyForQuery and the FATAL 57P01 in one write
        return;
      }
      client.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const proxyPort = typeof address === 'object' && address ? address.port : 0;
  const url = new URL(upstreamUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxyPort);

  const state: FaultProxy = {
    url: url.toString(),
    killAtHandout: 0,
    get killedAtHandout() {
      return killed;
    },
    backendPids: () => [...pids.values()],
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await admin.end().catch(() => undefined);
    },
  };
  return state;
}
