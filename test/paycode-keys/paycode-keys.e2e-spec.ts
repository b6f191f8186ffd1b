import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { compactVerify, createLocalJWKSet } from 'jose';
import { DataSource } from 'typeorm';
import { validateConfig } from '@app/config';
import { buildDataSourceOptions } from '@app/database';
import { AuditService } from '@app/identity';
import { mintOnlineCode, verifyCode } from '@app/paycode';
import { PaycodeKeysService, RETIRED_KEY_PUBLISH_SECONDS } from '@app/paycode-keys';
import { migrations } from '@app/platform';
import { expectError, startApp, TEST_SECRETS, type TestApp } from '../support/app.js';
import { freshDatabase } from '../support/database.js';
import { ADMIN, adminToken, registerUser } from '../support/factories.js';

/** N services on N separate connection pools: as N processes starting at once. */
async function services(url: string, n: number, secret = TEST_SECRETS.PAYCODE_KEY_ENCRYPTION_KEY) {
  const config = validateConfig({ NODE_ENV: 'test', DATABASE_URL: url, ...TEST_SECRETS, PAYCODE_KEY_ENCRYPTION_KEY: secret });
  const sources = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      new DataSource(buildDataSourceOptions({ url, poolSize: 2, statementTimeoutMs: 0, applicationName: `paycode-keys-${i}`, migrations })).initialize(),
    ),
  );
  return {
    list: sources.map((ds) => new PaycodeKeysService(ds, new AuditService(ds), config)),
    close: () => Promise.all(sources.map((ds) => ds.destroy())),
  };
}

describe('paycode-keys: the shared signing keys', () => {
  describe('on the database alone', () => {
    let url: string;
    let db: DataSource;
    beforeAll(async () => {
      url = (await freshDatabase()).url;
      db = await new DataSource(buildDataSourceOptions({ url, poolSize: 2, statementTimeoutMs: 0, applicationName: 'paycode-keys-test', migrations })).initialize();
    });
    afterAll(async () => {
      await db?.destroy();
    });

    it('concurrent first starts make exactly one key, and all sign with it', async () => {
      for (let round = 0; round < 3; round++) {
        await db.query(`DELETE FROM paycode.signing_keys`);
        const { list, close } = await services(url, 6);
        try {
          const signers = await Promise.all(list.map((s) => s.signer()));
          expect(new Set(signers.map((s) => s.kid)).size).toBe(1);
          const rows = (await db.query(`SELECT kid FROM paycode.signing_keys`)) as { kid: string }[];
          expect(rows).toEqual([{ kid: signers[0].kid }]);
          const jwks = await list[0].jwks();
          const { code } = mintOnlineCode(signers[3], { use: 'ride', sub: 'r1', now: Date.now() });
          expect(verifyCode(code, jwks, { now: Date.now(), use: 'ride' }).ok).toBe(true);
        } finally {
          await close();
        }
      }
    });

    it('keeps the private key sealed: the column is neither the key nor contains it, and another encryption key cannot open it', async () => {
      await db.query(`DELETE FROM paycode.signing_keys`);
      const { list, close } = await services(url, 1);
      const signer = await list[0].signer();
      await close();
      const [row] = (await db.query(`SELECT private_key_sealed, public_jwk FROM paycode.signing_keys WHERE kid = $1`, [signer.kid])) as {
        private_key_sealed: Buffer;
        public_jwk: Record<string, string>;
      }[];
      const der = signer.privateKey.export({ format: 'der', type: 'pkcs8' });
      const d = Buffer.from(signer.privateKey.export({ format: 'jwk' }).d!, 'base64url');
      expect(row.private_key_sealed.includes(der)).toBe(false);
      expect(row.private_key_sealed.includes(d)).toBe(false);
      expect(row.private_key_sealed.toString('latin1')).not.toContain(der.toString('base64'));
      expect(row.public_jwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: signer.kid, use: 'sig', alg: 'ES256' });
      expect(row.public_jwk).not.toHaveProperty('d');
      const other = await services(url, 1, Buffer.alloc(32, 9).toString('base64'));
      try {
        await expect(other.list[0].signer()).rejects.toThrow(/does not decrypt/);
      } finally {
        await other.close();
      }
    });

    it('rotation: the new key signs, the old one stays published until retire_after, then leaves the JWKS', async () => {
      await db.query(`DELETE FROM paycode.signing_keys`);
      const { list, close } = await services(url, 2);
      try {
        const old = await list[0].signer();
        const oldCode = mintOnlineCode(old, { use: 'ride', sub: 'r1', now: Date.now() }).code;
        const { kid, retiredKid } = await list[0].rotate();
        expect(retiredKid).toBe(old.kid);
        expect(kid).not.toBe(old.kid);
        expect((await list[0].signer()).kid).toBe(kid);
        const [retired] = (await db.query(`SELECT extract(epoch FROM retire_after - retired_at)::int AS s FROM paycode.signing_keys WHERE kid = $1`, [old.kid])) as { s: number }[];
        expect(retired.s).toBe(RETIRED_KEY_PUBLISH_SECONDS);
        const jwks = await list[1].jwks();
        expect(jwks.keys.map((k) => k.kid)).toEqual([kid, old.kid]);
        // a code of the old key still verifies, a code of the new key too (libs/paycode and jose)
        expect(verifyCode(oldCode, jwks, { now: Date.now(), use: 'ride' }).ok).toBe(true);
        const newCode = mintOnlineCode(await list[0].signer(), { use: 'ride', sub: 'r1', now: Date.now() }).code;
        await compactVerify(newCode, createLocalJWKSet(jwks));
        // once past retire_after the old key is no longer published
        await db.query(`UPDATE paycode.signing_keys SET retired_at = now() - interval '2 days', retire_after = now() - interval '1 second' WHERE kid = $1`, [old.kid]);
        const later = await list[1].jwks();
        expect(later.keys.map((k) => k.kid)).toEqual([kid]);
        expect(verifyCode(oldCode, later, { now: Date.now(), use: 'ride' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'UNKNOWN_KEY' });
      } finally {
        await close();
      }
    });

    it('concurrent rotations run one after another: one current key, every retired key published', async () => {
      await db.query(`DELETE FROM paycode.signing_keys`);
      const { list, close } = await services(url, 4);
      try {
        const first = await list[0].signer();
        const results = await Promise.all(list.map((s) => s.rotate()));
        const rows = (await db.query(`SELECT kid, retired_at IS NULL AS current FROM paycode.signing_keys`)) as { kid: string; current: boolean }[];
        expect(rows).toHaveLength(5);
        expect(rows.filter((r) => r.current)).toHaveLength(1);
        // each rotation retired exactly the key before it: a chain from the first key
        expect(new Set(results.map((r) => r.retiredKid))).toEqual(new Set([first.kid, ...results.map((r) => r.kid)].filter((k) => k !== rows.find((r) => r.current)!.kid)));
        expect((await list[0].jwks()).keys).toHaveLength(5);
      } finally {
        await close();
      }
    });
  });

  describe('over HTTP', () => {
    let app: TestApp;
    let admin: string;
    beforeAll(async () => {
      app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
      admin = await adminToken(app);
    });
    afterAll(async () => {
      await app?.close();
    });

    it('has a key from the first start, and POST /v1/admin/paycode-keys/rotate answers 201 {kid} of the new signing key', async () => {
      const keys = app.api.app.get(PaycodeKeysService);
      const before = await keys.signer();
      const res = await app.request('POST', '/v1/admin/paycode-keys/rotate', { token: admin });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body)).toEqual(['kid']);
      expect(res.body.kid).not.toBe(before.kid);
      expect((await keys.signer()).kid).toBe(res.body.kid);
      expect((await keys.jwks()).keys.map((k) => k.kid)).toEqual([res.body.kid, before.kid]);
      const [audit] = (await app.api.app.get(DataSource).query(`SELECT details FROM identity.audit_events WHERE action = 'PAYCODE_KEY_ROTATED' AND target_id = $1`, [res.body.kid])) as {
        details: { retiredKid: string };
      }[];
      expect(audit.details.retiredKid).toBe(before.kid);
    });

    it('refuses anyone but a platform admin, and never logs a private key', async () => {
      const user = await registerUser(app);
      expectError(await app.request('POST', '/v1/admin/paycode-keys/rotate', { token: user.accessToken }), 403, 'FORBIDDEN');
      expectError(await app.request('POST', '/v1/admin/paycode-keys/rotate'), 401, 'UNAUTHENTICATED');
      const signer = await app.api.app.get(PaycodeKeysService).signer();
      const secrets = [signer.privateKey.export({ format: 'jwk' }).d!, signer.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')];
      const logged = JSON.stringify(app.logs);
      for (const s of secrets) expect(logged).not.toContain(s);
      expect(logged).toContain('pay-code signing key rotated');
    });
  });
});
