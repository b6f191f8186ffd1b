import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken } from '../support/factories.js';
import { balance } from '../support/payments.js';
import { buildOnce, freePort } from '../support/process.js';
import { makeOperator, makeRider, rideCode, type TestOperator } from '../support/transit.js';

const READER = join(process.cwd(), 'dist/apps/reader/src/main.js');

interface RunningReader {
  proc: ChildProcess;
  lines: () => Record<string, any>[];
  text: () => string;
  waitFor: (test: (lines: Record<string, any>[]) => boolean, what: string, ms?: number) => Promise<void>;
  exited: Promise<number | null>;
}

function startReader(args: string[], secret: string): RunningReader {
  const proc = spawn(process.execPath, [READER, ...args], { env: { PATH: process.env.PATH, READER_DEVICE_SECRET: secret }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    lines,
    text: () => out,
    exited,
    async waitFor(test, what, ms = 20_000) {
      const deadline = Date.now() + ms;
      while (!test(lines())) {
        if (proc.exitCode !== null && !test(lines())) throw new Error(`reader exited (${proc.exitCode}) before ${what}:\n${out}\n${err}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

describe('apps/reader: the bus reader program', () => {
  let app: TestApp;
  let admin: string;
  let op: TestOperator;
  let state: string;

  beforeAll(async () => {
    buildOnce();
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
    op = await makeOperator(app, admin);
    state = mkdtempSync(join(tmpdir(), 'reader-'));
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    if (state) rmSync(state, { recursive: true, force: true });
  });

  it('prints its help', async () => {
    const r = startReader(['--help'], '');
    expect(await r.exited).toBe(0);
    expect(r.text()).toContain('Usage: npm run reader');
    expect(r.text()).toContain('--exit-when-drained');
  });

  it('boards offline, survives a kill mid-queue, uploads once online: nothing lost, nothing doubled', async () => {
    const common = ['--device-id', op.reader.id, '--route', op.flat.code, '--vehicle', op.vehicle.id, '--state', state, '--sync-ms', '200'];
    // online once: keys and blocklist cached
    const empty = join(state, 'empty.txt');
    writeFileSync(empty, '');
    const first = startReader([...common, '--server', app.baseUrl, '--input', empty, '--exit-when-drained'], op.reader.secret);
    expect(await first.exited).toBe(0);
    expect(existsSync(join(state, 'jwks.json'))).toBe(true);

    // offline: the server is unreachable; five riders board, one code shown twice is refused locally
    const riders = await Promise.all(Array.from({ length: 5 }, () => makeRider(app, admin, 1000)));
    const codes = await Promise.all(riders.map((r) => rideCode(app, r)));
    const dead = `http://127.0.0.1:${await freePort()}`;
    const offline = startReader([...common, '--server', dead], op.reader.secret);
    await offline.waitFor((l) => l.some((x) => x.event === 'offline'), 'offline');
    for (const code of [...codes, codes[0], 'garbage']) offline.proc.stdin!.write(code + '\n');
    await offline.waitFor((l) => l.filter((x) => x.event === 'decision').length === 7, 'seven decisions');
    const decisions = offline.lines().filter((x) => x.event === 'decision');
    expect(decisions.map((d) => d.decision)).toEqual(['BOARD', 'BOARD', 'BOARD', 'BOARD', 'BOARD', 'REFUSE', 'REFUSE']);
    expect(decisions[5].reason).toBe('CODE_ALREADY_USED');
    expect(decisions[6].reason).toBe('INVALID_CODE');
    for (const d of decisions) expect(d.ms).toBeLessThan(300);
    // power cut: SIGKILL with five taps queued, never uploaded
    offline.proc.kill('SIGKILL');
    await offline.exited;
    for (const r of riders) expect(await balance(app, r)).toBe(1000);

    // keep a copy of the queue as it was, to replay an upload whose acknowledgement was lost
    const snapshot = join(state, 'queue-snapshot');
    cpSync(join(state, 'queue'), snapshot, { recursive: true });

    const back = startReader([...common, '--server', app.baseUrl, '--input', empty, '--exit-when-drained'], op.reader.secret);
    expect(await back.exited).toBe(0);
    const uploaded = back.lines().filter((x) => x.event === 'uploaded');
    expect(uploaded.map((u) => u.status)).toEqual(['CHARGED', 'CHARGED', 'CHARGED', 'CHARGED', 'CHARGED']);
    expect(back.lines().some((x) => x.event === 'start' && x.queued === 5)).toBe(true);
    for (const r of riders) expect(await balance(app, r)).toBe(800);

    // a crash after the upload but before the acknowledgement was written: the same taps again are DUPLICATE
    rmSync(join(state, 'queue'), { recursive: true });
    cpSync(snapshot, join(state, 'queue'), { recursive: true });
    const again = startReader([...common, '--server', app.baseUrl, '--input', empty, '--exit-when-drained'], op.reader.secret);
    expect(await again.exited).toBe(0);
    expect(again.lines().filter((x) => x.event === 'uploaded').map((u) => u.status)).toEqual(Array(5).fill('DUPLICATE'));
    for (const r of riders) expect(await balance(app, r)).toBe(800);
    const [{ n }] = (await app.api.app.get(DataSource).query(`SELECT count(*)::int AS n FROM transit.taps WHERE device_id = $1`, [op.reader.id])) as { n: number }[];
    expect(n).toBe(5);

    // a torn last line (power cut mid-write) is ignored on start
    const log = join(state, 'queue', 'taps.log');
    writeFileSync(log, readFileSync(log, 'utf8') + '{"tapId":"12');
    const torn = startReader([...common, '--server', app.baseUrl, '--input', empty, '--exit-when-drained'], op.reader.secret);
    expect(await torn.exited).toBe(0);
  }, 120_000);
});
