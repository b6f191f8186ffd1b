// Shared by the benchmarks: the server they use, fresh databases on it, and
// the reference figure every benchmark prints beside its own (pgbench).
import { execFileSync } from 'node:child_process';
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
  // one database per run: benchmarks started side by side must not drop each other's
  const name = `citypay_bench_pgbench_${process.pid}`;
  await recreate(name);
  const url = dbUrl(name);
  let out;
  try {
    execFileSync('pgbench', ['-i', '-q', '-s', '10', url], { stdio: 'ignore' });
    out = execFileSync('pgbench', ['-b', 'tpcb-like', '-c', String(clients), '-j', '2', '-T', String(seconds), '-n', url], { encoding: 'utf8' });
  } finally {
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out) ?? /tps = ([\d.]+)/.exec(out);
  return Number(tps[1]);
}
