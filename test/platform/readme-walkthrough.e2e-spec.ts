import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freshDatabase } from '../support/database.js';
import { buildOnce, childEnv, type Child, freePort, runNode, waitReady, SERVER } from '../support/process.js';

/**
 * The README's "First hour" walkthrough runs as written: its shell blocks
 * marked `<!-- walkthrough -->` run in order, in one bash with `set -euo
 * pipefail`, against the built server started with the environment of the
 * block marked `<!-- walkthrough:server -->` (a fresh database, the sandbox
 * providers). A command that fails, or an error body in the output, fails
 * the test; so does an edit of the README that breaks a command.
 */
const MAIN = SERVER;

function blocks(readme: string, marker: string): string[] {
  const out: string[] = [];
  const pattern = new RegExp(`<!-- ${marker} -->\\s*\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``, 'g');
  for (const m of readme.matchAll(pattern)) out.push(m[1]);
  return out;
}

describe('README walkthrough', () => {
  let server: Child | undefined;
  let port: number;

  beforeAll(async () => {
    buildOnce();
  }, 240_000);
  afterAll(() => {
    if (server && server.proc.exitCode === null) server.proc.kill('SIGINT');
  });

  it('runs every walkthrough command of the README as written', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const [serverBlock] = blocks(readme, 'walkthrough:server');
    const steps = blocks(readme, 'walkthrough');
    expect(serverBlock).toMatch(/npm start\s*$/);
    expect(steps.length).toBeGreaterThanOrEqual(4);

    // the server as the README starts it (its environment assignments), on a fresh database and a free port
    const env: Record<string, string> = {};
    for (const [, k, v] of serverBlock.replace(/npm start\s*$/, '').matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[k] = v;
    port = await freePort();
    const { url } = await freshDatabase();
    server = runNode(MAIN, childEnv({ ...env, DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }));
    await waitReady(port, 60_000);

    const script = ['set -euo pipefail', ...steps.map((s, i) => `echo "::step ${i + 1}"\n${s}`)].join('\n');
    const hookPort = await freePort();
    const started = Date.now();
    const run = spawn('bash', ['-c', script], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', API: `http://127.0.0.1:${port}`, HOOK_PORT: String(hookPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    run.stdout.on('data', (d: Buffer) => (out += d.toString()));
    run.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        out += '\n(walkthrough timed out)';
        process.kill(-run.pid!, 'SIGKILL');
      }, 60_000);
      run.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    // the webhook receiver the README starts in the background must not outlive the test
    try {
      process.kill(-run.pid!, 'SIGKILL');
    } catch {
      /* the group is gone */
    }
    const failedStep = [...out.matchAll(/::step (\d+)/g)].pop()?.[1];
    expect({ code, failedStep: code === 0 ? undefined : failedStep, out: code === 0 ? '' : out }).toEqual({ code: 0, failedStep: undefined, out: '' });
    expect(out).not.toMatch(/"statusCode":\s*[45]\d\d/);
    expect(out).not.toMatch(/curl: \(\d+\)|command not found|jq: error/);

    // what each step is there to show
    expect(out).toMatch(/"kycLevel": 1/);
    expect(out).toMatch(/^PAID$/m);
    expect(out).toMatch(/"amount":20000,"currency":"CNY"/);
    expect(out).toMatch(/"status": "SUCCEEDED"/);
    expect(out).toMatch(/"count": 1/);
    expect(out).toMatch(/webhook: t=\d+,v1=[0-9a-f]{64} \{.*"type":"bill_payment.succeeded"/);
    expect(out).toMatch(/"status": "DELIVERED"/);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 180_000);
});
