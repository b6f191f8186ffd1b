import { beforeAll, describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import { buildOnce, loadedModules, packageOf } from '../support/process.js';

/**
 * Most of a second `npm start` is Node loading modules. Packages only some
 * requests need are loaded on first use, not at start: this lists every
 * module file the built server loads up to `createApi` being callable (ES
 * modules through a load hook, CommonJS through require.cache) and checks
 * that the deferred ones are not among them.
 */

const DEFERRED = ['alipay-sdk', 'urllib', 'undici', 'crypto-js'];

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
