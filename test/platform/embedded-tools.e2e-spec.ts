import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { shanghaiDay } from '@app/common';
import { buildOnce, type Child, childEnv, freePort, runNode, waitReady, SERVER } from '../support/process.js';

/**
 * The first hour on the embedded database: a clean Ctrl-C, the one-shot
 * commands next to a running `npm start`, a checkout the postgres user
 * cannot reach (as root), and a second start that skips the build.
 */

const REPO = resolve('.');
const MAIN = join(REPO, SERVER);
const VERIFY = join(REPO, 'dist/apps/api/src/ledger-verify.js');
const RECONCILE = join(REPO, 'dist/apps/api/src/reconcile.js');

function run(script: string, args: string[], env: NodeJS.ProcessEnv, cwd = REPO): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [script, ...args], { env, cwd, timeout: 90_000 }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

/** Log lines at error or fatal level (JSON or pretty). */
const errorLines = (out: string): string[] => out.split('\n').filter((l) => /"level":\s*"?(error|fatal|50|60)"?/.test(l) || /^\S*\s*(ERROR|FATAL)\b/.test(l));

async function stopPostgresOf(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  for (let i = 0; i < 400; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the embedded database in the first hour', () => {
  let dataDir: string;
  const children: Child[] = [];

  beforeAll(() => {
    buildOnce();
    dataDir = mkdtempSync(join(tmpdir(), 'citypay-tools-'));
  });
  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    await stopPostgresOf(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('Ctrl-C (SIGINT to the whole process group, PostgreSQL included) stops cleanly with no error-level log', async () => {
    const port = await freePort();
    const env = childEnv({ PORT: String(port), DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) });
    // its own process group, as a terminal's foreground job: Ctrl-C signals every process in it
    const proc = spawn(process.execPath, [MAIN], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    try {
      await waitReady(port, 60_000);
      // let pg-boss settle into its polling connections
      await new Promise((r) => setTimeout(r, 1500));
      process.kill(-proc.pid!, 'SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    expect(out).toContain('Stopped cleanly');
    expect(errorLines(out)).toEqual([]);
  }, 120_000);

  it('ledger:verify and reconcile use the running server (port and password from the data dir); without the API, reconcile says why in one sentence', async () => {
    const port = await freePort();
    const pgPort = await freePort();
    const env = { PORT: String(port), DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort) };
    const server = runNode(MAIN, childEnv(env));
    children.push(server);
    await waitReady(port, 60_000);

    const verify = await run(VERIFY, [], childEnv(env));
    expect([verify.code, verify.out]).toEqual([0, expect.stringContaining('ledger: OK, money adds up')]);
    expect(verify.out).not.toMatch(/in use/);

    const today = shanghaiDay(new Date());
    const reconcile = await run(RECONCILE, ['--date', today], childEnv(env));
    expect(reconcile.out).toContain(`reconciliation of ${today}`);
    expect(reconcile.out).toMatch(/ALIPAY: platform 0 rows, provider 0 rows, 0 mismatches/);
    expect(reconcile.code).toBe(0);

    server.proc.kill('SIGTERM');
    expect(await server.exited()).toBe(0);

    // no API running: no stack traces, one sentence, exit 2
    const alone = await run(RECONCILE, ['--date', today], childEnv(env));
    expect(alone.code).toBe(2);
    expect(alone.out.trim().split('\n')).toHaveLength(1);
    expect(alone.out).toMatch(/^reconcile: no City Pay API answers at http:\/\/127\.0\.0\.1:\d+, .*start it \(npm start\) first/);
    expect(alone.out).not.toContain('ECONNREFUSED');
  }, 180_000);

  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot('as root, a checkout in a mode-700 folder starts with its data where the postgres user can reach it, said in one line; DATA_DIR still decides', async () => {
    const checkout = mkdtempSync(join(tmpdir(), 'citypay-700-'));
    chmodSync(checkout, 0o700);
    let fallback: string | undefined;
    try {
      const port = await freePort();
      const pgPort = await freePort();
      const base = childEnv({ PORT: String(port), EMBEDDED_PG_PORT: String(pgPort) });
      delete base.DATA_DIR;
      const proc = spawn(process.execPath, [MAIN], { env: base, cwd: checkout, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
      try {
        await waitReady(port, 90_000);
      } finally {
        proc.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      const lines = out.split('\n').filter((l) => l.includes('cannot reach'));
      expect(lines).toHaveLength(1);
      fallback = /keeps its data in (\/var\/lib\/city-pay\/[^ ]+) instead/.exec(lines[0])?.[1];
      expect(fallback).toMatch(new RegExp(`^/var/lib/city-pay/${checkout.split('/').pop()}-[0-9a-f]{12}$`));
      expect(existsSync(join(fallback!, 'pg', 'PG_VERSION'))).toBe(true);
      expect(existsSync(join(checkout, '.data', 'pg'))).toBe(false);

      // an explicit DATA_DIR there is honoured: refused with its sentence, not moved
      const explicit = await run(MAIN, [], childEnv({ PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), DATA_DIR: join(checkout, 'mine') }), checkout);
      expect(explicit.code).not.toBe(0);
      expect(explicit.out).toMatch(/The postgres system user cannot reach .*mine because .* is not searchable by others/);
    } finally {
      if (fallback) {
        await stopPostgresOf(fallback);
        rmSync(fallback, { recursive: true, force: true });
      }
      rmSync(checkout, { recursive: true, force: true });
    }
  }, 180_000);

  it('a second npm start with nothing changed skips the build', async () => {
    const first = await run(join(REPO, 'scripts/build-if-stale.mjs'), [], childEnv({}));
    expect(first.code).toBe(0);
    const started = Date.now();
    const second = await run(join(REPO, 'scripts/build-if-stale.mjs'), [], childEnv({}));
    const ms = Date.now() - started;
    expect([second.code, second.out]).toEqual([0, 'build: dist/ is current (no source changed), skipped\n']);
    expect(ms).toBeLessThan(3000);
    process.stdout.write(`build check with nothing changed: ${ms} ms\n`);
  }, 180_000);
});
