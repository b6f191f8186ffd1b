// Shared by the benchmarks: the server they use, fresh databases on it, and
// the reference figure every benchmark prints beside its own (pgbench).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const dbUrl = (name) => {
  const u = new URL(server);
  u.pathname = `/${name}`;
  return u.toString();
};

export async function recreate(name) {
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
}

/** pgbench tpcb-like (scale 10) on the same server with the same clients: transactions per second. */
export async function pgbenchTps({ clients, seconds }) {
  return (await pgbench({ clients, seconds })).tps;
}

/**
 * pgbench tpcb-like (scale 10) on the same server with the same clients:
 * transactions per second, and the p50/p99 latency of a fifth of its
 * transactions, ms (pgbench's own log, sampled). `script` picks another
 * built-in script: simple-update leaves out tpcb-like's updates of the 10
 * branch rows every transaction shares, so its latency is the server's and
 * not that of waiting on those rows' locks.
 */
export async function pgbench({ clients, seconds, script = 'tpcb-like' }) {
  // one database per run: benchmarks started side by side must not drop each other's
  const name = `citypay_bench_pgbench_${process.pid}`;
  await recreate(name);
  const url = dbUrl(name);
  const logs = mkdtempSync(join(tmpdir(), 'citypay-pgbench-'));
  let out;
  const latencies = [];
  try {
    execFileSync('pgbench', ['-i', '-q', '-s', '10', url], { stdio: 'ignore' });
    out = execFileSync(
      'pgbench',
      ['-b', script, '-c', String(clients), '-j', '2', '-T', String(seconds), '-n', '-l', '--sampling-rate', '0.2', `--log-prefix=${join(logs, 'tx')}`, url],
      { encoding: 'utf8' },
    );
    // one line a sampled transaction: client, transaction number, latency in microseconds, ...
    for (const file of readdirSync(logs)) {
      for (const line of readFileSync(join(logs, file), 'utf8').split('\n')) {
        const us = Number(line.split(' ')[2]);
        if (line && Number.isFinite(us)) latencies.push(us / 1000);
      }
    }
  } finally {
    rmSync(logs, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out) ?? /tps = ([\d.]+)/.exec(out);
  latencies.sort((a, b) => a - b);
  const at = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : NaN);
  return { tps: Number(tps[1]), p50: at(0.5), p99: at(0.99) };
}
