import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildOnce } from '../support/process.js';

// Node 20 hangs for good when a KeyObject fresh from generateKeyPairSync is
// exported as JWK while a garbage collection destroys its key-generation job
// (both take the key's lock). Signers are generated on first start and at every
// rotation, and their kid is a JWK thumbprint: before the fix, 5,000 signers in a
// row hung in about half the runs. The loop runs in a child process, on the
// built library, so that a hang fails this test by its timeout instead of
// freezing the Jest worker.
describe('paycode key generation', () => {
  it('generates 4,000 signers and phone keys in a row without hanging', () => {
    buildOnce();
    const lib = pathToFileURL(join(process.cwd(), 'dist/libs/paycode/src/index.js')).href;
    const script = `
      const { ecPublicJwk, generateP256KeyPair, generatePaycodeSigner, paycodeJwk } = await import(${JSON.stringify(lib)});
      let done = 0;
      for (let i = 0; i < 4000; i++) {
        const s = generatePaycodeSigner();
        if (paycodeJwk(s.privateKey, s.kid).kid.length === 4 && ecPublicJwk(generateP256KeyPair().publicKey).crv === 'P-256') done++;
      }
      console.log(JSON.stringify({ done }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 240_000 });
    expect(run.signal).toBeNull(); // SIGTERM: the timeout, i.e. the hang
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout.trim())).toEqual({ done: 4000 });
  }, 400_000);
});
