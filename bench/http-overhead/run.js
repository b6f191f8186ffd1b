// Bench: requests/s of this app's /health/live against a bare Fastify route
// (the reference) and plain Nest on Fastify (the framework's ceiling), all
// measured in the same run with autocannon. Goal: ratio to bare Fastify >= 0.8.
// Also printed: each server's CPU time per request (from /proc; steadier than
// req/s on a machine shared with other work), the API's resident memory (peak
// during its run), and the API again after one authenticated request: on Node 20
// the first request-scoped logging context (AsyncLocalStorage) turns on promise
// hooks for the whole process, which health checks alone never do. Last, the
// same API with WEB_CONCURRENCY=2 (1 vs 2 processes, same run).
// Usage: npm run bench:http [-- --duration 10 --connections 50 --log-level info]
// Uses DATABASE_URL when set, else the embedded PostgreSQL under .bench-data/.
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { treeCpuMs, treeRssMb } from '../support/proc.js';
import { SERVER_ENTRY, serverNodeFlags } from '../support/server.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'log-level': { type: 'string', default: 'info' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function waitReady(url) {
  for (let i = 0; i < 600; i++) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became ready`);
}

async function measure(name, url, pid) {
  // warm-up, then the measured run
  await autocannon({ url, connections, duration: 2 });
  let peakRss = treeRssMb(pid);
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, treeRssMb(pid))), 250);
  const cpuBefore = treeCpuMs(pid);
  const r = await autocannon({ url, connections, duration });
  const cpu = treeCpuMs(pid) - cpuBefore;
  clearInterval(sampler);
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpuUs: (1000 * cpu) / r.requests.total, rss: Math.max(peakRss, treeRssMb(pid)) };
}

const barePort = await freePort();
const bare = fork(new URL('./bare-server.js', import.meta.url), [String(barePort)], { stdio: 'ignore' });
await once(bare, 'message');
const nestPort = await freePort();
const nest = fork(new URL('./nest-server.js', import.meta.url), [String(nestPort)], { stdio: 'ignore' });
await once(nest, 'message');

const appPort = await freePort();
const env = { ...process.env, PORT: String(appPort), HOST: '127.0.0.1', LOG_LEVEL: values['log-level'] };
if (!env.DATABASE_URL) {
  env.DATA_DIR = env.DATA_DIR ?? '.bench-data';
  env.EMBEDDED_PG_PORT = String(await freePort());
}
const startApi = (extra = {}) => spawn(process.execPath, [...serverNodeFlags(), SERVER_ENTRY], { env: { ...env, ...extra }, stdio: 'ignore' });
const stopApi = async (child) => {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
};
let app = startApi();
try {
  await waitReady(`http://127.0.0.1:${appPort}/health/ready`);
  const reference = await measure('bare fastify', `http://127.0.0.1:${barePort}/health/live`, bare.pid);
  const plainNest = await measure('plain nest', `http://127.0.0.1:${nestPort}/health/live`, nest.pid);
  const ours = await measure('city-pay', `http://127.0.0.1:${appPort}/health/live`, app.pid);
  // one request that runs in a logging context (any authenticated route; its 401 is enough)
  await fetch(`http://127.0.0.1:${appPort}/v1/me`);
  const oursWarm = await measure('city-pay', `http://127.0.0.1:${appPort}/health/live`, app.pid);
  // the same API as WEB_CONCURRENCY=2 (a supervisor and two workers on one port; CPU and RSS of all three)
  await stopApi(app);
  app = startApi({ WEB_CONCURRENCY: '2' });
  await waitReady(`http://127.0.0.1:${appPort}/health/ready`);
  const twoProcesses = await measure('city-pay x2', `http://127.0.0.1:${appPort}/health/live`, app.pid);
  const ratio = ours.rps / reference.rps;
  const row = (name, r) =>
    `  ${name.padEnd(40)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  ${r.cpuUs.toFixed(0).padStart(4)} us CPU/req  ` +
    `(${(r.rps / reference.rps).toFixed(2)} of bare; by CPU ${(reference.cpuUs / r.cpuUs).toFixed(2)})  RSS ${r.rss.toFixed(0)} MB`;
  console.log(`http-overhead: ${connections} connections, ${duration} s each, City Pay LOG_LEVEL=${values['log-level']}`);
  console.log(row('bare Fastify (reference)', reference));
  console.log(row('plain Nest on Fastify', plainNest));
  console.log(row('City Pay /health/live', ours));
  console.log(row('City Pay /health/live, after a context', oursWarm));
  console.log(row('City Pay /health/live, WEB_CONCURRENCY=2', twoProcesses));
  console.log(`  ratio City Pay / bare Fastify: ${ratio.toFixed(2)} (goal >= 0.80) ${ratio >= 0.8 ? 'MET' : 'NOT MET'}`);
  console.log(`  ratio City Pay / plain Nest: ${(ours.rps / plainNest.rps).toFixed(2)}; API peak RSS ${Math.max(ours.rss, oursWarm.rss).toFixed(0)} MB`);
  console.log(`  2 processes / 1 process (req/s, same run): ${(twoProcesses.rps / ours.rps).toFixed(2)} (on ${availableParallelism()} cores, load generator included)`);
} finally {
  bare.kill('SIGTERM');
  nest.kill('SIGTERM');
  await stopApi(app);
}
