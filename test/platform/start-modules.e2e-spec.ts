import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { buildOnce } from '../support/process.js';

/**
 * Most of a second `npm start` is Node loading modules. Packages only some
 * requests need are loaded on first use, not at start: this lists every
 * module file the built server loads up to `createApi` being callable (ES
 * modules through a load hook, CommonJS through require.cache) and checks
 * that the deferred ones are not among them.
 */

const DEFERRED = ['alipay-sdk', 'urllib', 'undici', 'crypto-js'];

const LISTER = `
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const esm = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (u) => esm.add(u));
port1.unref();
register('data:text/javascript,' + encodeURIComponent(
  'let p; export function initialize(d) { p = d.port; } ' +
  'export async function load(u, c, n) { if (u.startsWith("file:")) p.postMessage(u); return n(u, c); }'),
  { data: { port: port2 }, transferList: [port2] });
await import(process.argv[1]);
await new Promise((r) => setTimeout(r, 200));
const files = new Set([...Object.keys(createRequire(import.meta.url).cache), ...[...esm].map((u) => new URL(u).pathname)]);
process.stdout.write(JSON.stringify([...files]));
`;

function loadedModules(entry: string): Promise<string[]> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', LISTER, entry],
      { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : done(JSON.parse(stdout) as string[])),
    );
  });
}

const packageOf = (file: string): string | undefined => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(file)?.[1];

describe('modules loaded at the start of the API', () => {
  beforeAll(() => buildOnce());

  it('does not load the provider SDKs that only a provider call needs', async () => {
    const files = await loadedModules(resolve('dist/apps/api/src/bootstrap.js'));
    const packages = new Set(files.map(packageOf).filter(Boolean));
    // the lister sees the start's modules at all (a broken lister would pass vacuously)
    expect([...packages]).toEqual(expect.arrayContaining(['@nestjs/core', 'typeorm', 'fastify', 'pg-boss']));
    expect(DEFERRED.filter((p) => packages.has(p))).toEqual([]);
    process.stdout.write(`start loads ${files.length} module files from ${packages.size} packages\n`);
  }, 180_000);
});
