// Bench: requests/s of this app's /health/live against a bare Fastify route
// (the reference) and plain Nest on Fastify (the framework's ceiling). Goal:
// ratio to bare Fastify >= 0.8.
//
// On a small machine shared with other work, one measurement of each server in
// turn compares moments more than servers (bare Fastify's own rate has moved
// 2-3x between two runs of one minute). So the three are measured in rounds,
// the order rotated each round, and each ratio is taken within its round; the
// median of the rounds is the figure, their range beside it.
//
// Two settings, each in rounds:
// - shared: servers and load generator share the cores (how `bench:http` has
//   always measured, and the goal's setting). The load generator takes a core's
//   worth of CPU, so req/s is partly its limit: read CPU per request too.
// - pinned (when `taskset` exists and this process may run on 2+ CPUs): every
//   server on its second allowed CPU, this process (autocannon) on its first.
//   Each server is then the bottleneck, and req/s follows its CPU per request:
//   the framework's and our own overhead. (An embedded PostgreSQL, without
//   DATABASE_URL, is not pinned; /health/live does not use it.)
// CPU time per request is read from /proc (user + system, all threads).
//
// The API first serves one authenticated request (its 401 is enough), as any
// process that also serves payments has: a request-scoped logging context must
// not cost the health checks that follow. Then the API again with
// WEB_CONCURRENCY=2 (1 vs 2 processes, same run; shared setting).
// Usage: npm run bench:http [-- --rounds 5 --duration 3 --connections 50 --log-level info --no-pin]
// Uses DATABASE_URL when set, else the embedded PostgreSQL under .bench-data/.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { treeCpuMs, treeRssMb } from '../support/proc.js';
import { SERVER_ENTRY, serverNodeFlags } from '../support/server.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    'log-level': { type: 'string', default: 'info' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
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

/**
 * The CPUs this process may run on, as taskset lists them ("0-3", "2,5"), read
 * before any pinning (Node's availableParallelism() counts only the CPUs a
 * process is allowed, so it reads 1 once this process is pinned); undefined
 * when pinning is off, impossible (one CPU) or taskset is missing.
 */
function allowedCpus() {
  if (values['no-pin']) return undefined;
  try {
    const list = /:\s*(\S+)\s*$/.exec(execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' }))?.[1];
    const cpus = list?.split(',').flatMap((part) => {
      const [a, b = a] = part.split('-').map(Number);
      return Array.from({ length: b - a + 1 }, (_, i) => a + i);
    });
    return cpus && cpus.length >= 2 ? { list, cpus } : undefined;
  } catch {
    return undefined;
  }
}
/** Moves a process and all its threads (Node's helpers included) to the given CPUs. */
const pin = (pid, cpus) => execFileSync('taskset', ['-a', '-p', '-c', String(cpus), String(pid)], { stdio: 'ignore' });

async function measure(server, seconds) {
  const url = `http://127.0.0.1:${server.port}/health/live`;
  let peakRss = treeRssMb(server.child.pid);
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, treeRssMb(server.child.pid))), 250);
  const cpuBefore = treeCpuMs(server.child.pid);
  const r = await autocannon({ url, connections, duration: seconds });
  const cpu = treeCpuMs(server.child.pid) - cpuBefore;
  clearInterval(sampler);
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${server.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  server.rss = Math.max(server.rss ?? 0, peakRss, treeRssMb(server.child.pid));
  return { rps: r.requests.average, p99: r.latency.p99, cpuUs: (1000 * cpu) / r.requests.total };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const range = (xs) => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;

/** Rounds of [bare, nest, ours] in rotated order; ratios within each round. */
async function compare(setting, servers) {
  for (const s of servers) await measure(s, 2); // warm-up
  const runs = servers.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < servers.length; k++) {
      const i = (round + k) % servers.length;
      runs[i].push(await measure(servers[i], duration));
    }
  }
  const [bare] = runs;
  console.log(`  ${setting}: ${rounds} rounds of ${duration} s, order rotated; medians, [range of the rounds]`);
  servers.forEach((s, i) => {
    const byRps = runs[i].map((r, j) => r.rps / bare[j].rps);
    const byCpu = runs[i].map((r, j) => bare[j].cpuUs / r.cpuUs);
    console.log(
      `    ${s.label.padEnd(32)} ${median(runs[i].map((r) => r.rps)).toFixed(0).padStart(6)} req/s  p99 ${median(runs[i].map((r) => r.p99))} ms  ` +
        `${median(runs[i].map((r) => r.cpuUs)).toFixed(1).padStart(5)} us CPU/req  ` +
        (i === 0 ? '' : `of bare: ${median(byRps).toFixed(2)} by req/s [${range(byRps)}], ${median(byCpu).toFixed(2)} by CPU [${range(byCpu)}]`),
    );
  });
  const ours = runs[2];
  const nest = runs[1];
  return {
    ratio: median(ours.map((r, j) => r.rps / bare[j].rps)),
    byCpu: median(ours.map((r, j) => bare[j].cpuUs / r.cpuUs)),
    ofNestByCpu: median(ours.map((r, j) => nest[j].cpuUs / r.cpuUs)),
    rps: median(ours.map((r) => r.rps)),
  };
}

const children = [];
const startNode = (args, env) => {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  children.push(child);
  return child;
};
const stop = async (child) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
};

const apiEnv = { HOST: '127.0.0.1', LOG_LEVEL: values['log-level'] };
if (!process.env.DATABASE_URL) {
  apiEnv.DATA_DIR = process.env.DATA_DIR ?? '.bench-data';
  apiEnv.EMBEDDED_PG_PORT = String(await freePort());
}
async function startApi(extra = {}) {
  const port = await freePort();
  const child = startNode([...serverNodeFlags(), SERVER_ENTRY], { ...apiEnv, PORT: String(port), ...extra });
  await waitReady(`http://127.0.0.1:${port}/health/ready`);
  return { child, port };
}
async function startReference(file) {
  const port = await freePort();
  const child = startNode([new URL(file, import.meta.url).pathname, String(port)]);
  await waitReady(`http://127.0.0.1:${port}/health/live`);
  return { child, port };
}

try {
  const bare = { name: 'bare fastify', label: 'bare Fastify (reference)', ...(await startReference('./bare-server.js')) };
  const nest = { name: 'plain nest', label: 'plain Nest on Fastify', ...(await startReference('./nest-server.js')) };
  const ours = { name: 'city-pay', label: 'City Pay /health/live', ...(await startApi()) };
  await fetch(`http://127.0.0.1:${ours.port}/v1/me`); // one request in a logging context
  const servers = [bare, nest, ours];

  console.log(`http-overhead: ${connections} connections, City Pay LOG_LEVEL=${values['log-level']}, ${availableParallelism()} cores`);
  const shared = await compare('shared cores', servers);
  let pinned;
  const allowed = allowedCpus();
  if (allowed) {
    const [loadCpu, serverCpu] = allowed.cpus;
    try {
      pin(process.pid, loadCpu);
      for (const s of servers) pin(s.child.pid, serverCpu);
      pinned = await compare(`pinned (servers on CPU ${serverCpu}, load generator on CPU ${loadCpu})`, servers);
    } finally {
      // every process back on every CPU it had: the two-process API below inherits this process's
      pin(process.pid, allowed.list);
      for (const s of servers) pin(s.child.pid, allowed.list);
    }
  } else {
    console.log('  pinned: skipped (--no-pin, one CPU, or no taskset)');
  }

  // the same API as WEB_CONCURRENCY=2 (a supervisor and two workers on one port; CPU and RSS of all three)
  await stop(ours.child);
  const two = { name: 'city-pay x2', ...(await startApi({ WEB_CONCURRENCY: '2' })) };
  await measure(two, 6); // two workers to warm up: 2 s left them at half their rate
  const twoProcesses = await measure(two, duration);
  console.log(
    `  City Pay WEB_CONCURRENCY=2 (shared cores, one run): ${twoProcesses.rps.toFixed(0)} req/s, ${twoProcesses.cpuUs.toFixed(1)} us CPU/req summed over the three processes, RSS ${two.rss.toFixed(0)} MB`,
  );
  const met = shared.ratio >= 0.8;
  console.log(`  ratio City Pay / bare Fastify, shared cores, median by req/s: ${shared.ratio.toFixed(2)} (goal >= 0.80) ${met ? 'MET' : 'NOT MET'}; by CPU ${shared.byCpu.toFixed(2)}`);
  if (pinned) {
    console.log(
      `  pinned: City Pay / bare Fastify ${pinned.ratio.toFixed(2)} by req/s, ${pinned.byCpu.toFixed(2)} by CPU; City Pay / plain Nest by CPU ${pinned.ofNestByCpu.toFixed(2)}`,
    );
  }
  console.log(`  API peak RSS ${ours.rss.toFixed(0)} MB; 2 processes / 1 process (req/s, shared cores): ${(twoProcesses.rps / shared.rps).toFixed(2)}`);
} finally {
  await Promise.all(children.map(stop));
}
