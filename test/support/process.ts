import { ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * What `npm start` runs: the compiled API bundled into one file
 * (scripts/bundle-server.mjs). Suites that run the server as a process run
 * this; in-process suites import the unbundled dist/ (the same code).
 */
export const SERVER = 'dist/server/main.js';

let built = false;
const BUILD_LOCK = '.test-build.lock';

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Builds dist/ (the real `npm start` artefact) once per test run: test files
 * in parallel workers take turns (two builds at once overwrite each other's
 * rewritten imports), and a later file of the same run finds it built.
 */
export function buildOnce(): void {
  if (built) return;
  const marker = `dist/.test-build-${process.env.CITYPAY_TEST_RUN_ID ?? process.ppid}`;
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch {
      // a lock left by a killed run is stale after five minutes
      if (existsSync(BUILD_LOCK) && Date.now() - statSync(BUILD_LOCK).mtimeMs > 300_000) rmSync(BUILD_LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another build holds ${BUILD_LOCK}`);
      sleepSync(200);
    }
  }
  try {
    if (!existsSync(marker)) {
      // the server only: the suites that run dist/ never need the web app (test/web builds its own)
      execFileSync('npm', ['run', '--silent', 'build:api'], { stdio: 'pipe', timeout: 180_000 });
      writeFileSync(marker, '');
    }
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
  built = true;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The environment of a child server: the machine's, minus test and database wiring. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(DATABASE_URL|CITYPAY_|NODE_OPTIONS|JEST_|PORT$|DATA_DIR$|EMBEDDED_PG_)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, LOG_LEVEL: 'info', ...extra };
}

export interface Child {
  proc: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited(timeoutMs?: number): Promise<number | null>;
}

export function runNode(script: string, env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    output: () => out,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (proc.exitCode !== null) throw new Error(`process exited (${proc.exitCode}) before ${pattern}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async exited(timeoutMs = 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`process did not exit:\n${out}`)), timeoutMs);
      });
      try {
        return await Promise.race([exit, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export async function waitReady(port: number, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (res.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not ready on ${port} within ${timeoutMs} ms`);
}

/**
 * Every module file a built entry loads up to its top level having run (ES
 * modules through a load hook, CommonJS through require.cache), listed by a
 * child process that imports it and exits 200 ms later. The hook runs on
 * its own thread and posts each file as it loads; before reading the list,
 * the child asks that thread for a flush and waits for the answer, which
 * comes after every file it posted (one port keeps its messages' order): a
 * fixed wait alone lost the entry itself on a busy machine.
 */
const LISTER = `
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const esm = new Set();
const { port1, port2 } = new MessageChannel();
let flushed;
port1.on('message', (m) => (typeof m === 'string' ? esm.add(m) : flushed?.()));
port1.unref();
register('data:text/javascript,' + encodeURIComponent(
  'let p; export function initialize(d) { p = d.port; p.on("message", () => p.postMessage({ flushed: true })); p.unref(); } ' +
  'export async function load(u, c, n) { if (u.startsWith("file:")) p.postMessage(u); return n(u, c); }'),
  { data: { port: port2 }, transferList: [port2] });
await import(process.argv[1]);
await new Promise((r) => setTimeout(r, 200));
await new Promise((r) => { flushed = r; port1.ref(); port1.postMessage('flush'); });
const files = new Set([...Object.keys(createRequire(import.meta.url).cache), ...[...esm].map((u) => new URL(u).pathname)]);
// exit once the list is written: a pipe's write may be asynchronous (Node 24), and exit() drops what is pending
process.stdout.write(JSON.stringify([...files]), () => process.exit(0));
`;

export function loadedModules(entry: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  return new Promise((done, fail) => {
    execFile(process.execPath, ['--input-type=module', '-e', LISTER, entry], { env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? fail(new Error(`${err.message}\n${stderr}`)) : done(JSON.parse(stdout) as string[]),
    );
  });
}

/** The package a module file belongs to (undefined for ours). */
export const packageOf = (file: string): string | undefined => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(file)?.[1];
