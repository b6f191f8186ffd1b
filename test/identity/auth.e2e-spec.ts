import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import argon2 from 'argon2';
import jwt from 'jsonwebtoken';
import { DataSource } from 'typeorm';
import { expectError, startApp, TEST_SECRETS, type TestApp } from '../support/app.js';
import { login, randomPhone, registerUser } from '../support/factories.js';

describe('identity: register, login, tokens', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({ ACCESS_TOKEN_TTL_SECONDS: '60' });
  });
  afterAll(async () => {
    await app?.close();
  });

  describe('register', () => {
    it('creates an account and returns the user and tokens, never the password', async () => {
      const phone = randomPhone();
      const res = await app.request('POST', '/v1/auth/register', {
        body: { phone, password: 'a-long-password', displayName: 'Li Lei' },
      });
      expect(res.status).toBe(201);
      expect(res.body.user).toEqual({ id: expect.any(String), phone, displayName: 'Li Lei', kycLevel: 0, roles: [] });
      expect(typeof res.body.accessToken).toBe('string');
      expect(typeof res.body.refreshToken).toBe('string');
      expect(res.text).not.toContain('a-long-password');
      expect(res.text).not.toMatch(/argon2|password_hash|passwordHash/);
      expect(JSON.stringify(app.logs)).not.toContain('a-long-password');
    });

    it('refuses a phone already taken with 409 PHONE_TAKEN', async () => {
      const user = await registerUser(app);
      const res = await app.request('POST', '/v1/auth/register', { body: { phone: user.phone, password: 'another-password' } });
      expectError(res, 409, 'PHONE_TAKEN');
    });

    it('lets exactly one of 8 concurrent registrations of one phone win', async () => {
      const phone = randomPhone();
      const results = await Promise.all(
        Array.from({ length: 8 }, () => app.request('POST', '/v1/auth/register', { body: { phone, password: 'concurrent-pass' } })),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 201)) expectError(r, 409, 'PHONE_TAKEN');
    });

    it.each([
      [{ phone: '13800138000', password: 'long-enough' }, 'phone'],
      [{ phone: '+86 138', password: 'long-enough' }, 'phone'],
      [{ phone: randomPhone(), password: 'short' }, 'password'],
      [{ phone: randomPhone(), password: 12345678 }, 'password'],
      [{ phone: randomPhone(), password: 'long-enough', roles: [{ role: 'PLATFORM_ADMIN' }] }, 'roles'],
      [{ phone: randomPhone(), password: 'long-enough', kycLevel: 1 }, 'kycLevel'],
    ])('refuses %p with VALIDATION_FAILED on %s', async (body, field) => {
      const res = await app.request('POST', '/v1/auth/register', { body });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    });
  });

  describe('login', () => {
    it('returns the user and fresh tokens for the right password', async () => {
      const user = await registerUser(app);
      const res = await login(app, user.phone, user.password);
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ id: user.id, phone: user.phone, kycLevel: 0 });
      expect(res.body.refreshToken).not.toBe(user.refreshToken);
    });

    it('hashes a password stored with older argon2 settings again at its next login, and only then', async () => {
      const user = await registerUser(app);
      const ds = app.api.app.get(DataSource);
      const stored = async () => ((await ds.query(`SELECT password_hash FROM identity.users WHERE id = $1`, [user.id])) as { password_hash: string }[])[0]!.password_hash;
      const current = await stored();
      expect(current).toMatch(/^\$argon2id\$v=19\$m=9216,p=1,t=4\$/);
      // as the settings of an earlier release stored it
      const old = await argon2.hash(user.password, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
      await ds.query(`UPDATE identity.users SET password_hash = $2 WHERE id = $1`, [user.id, old]);
      expectError(await login(app, user.phone, 'wrong-password'), 401, 'INVALID_CREDENTIALS');
      expect(await stored()).toBe(old); // a failed login changes nothing
      expect((await login(app, user.phone, user.password)).status).toBe(200);
      const rehashed = await stored();
      expect(rehashed).toMatch(/^\$argon2id\$v=19\$m=9216,p=1,t=4\$/);
      expect(rehashed).not.toBe(old);
      expect(await argon2.verify(rehashed, user.password)).toBe(true);
      expect((await login(app, user.phone, user.password)).status).toBe(200);
      expect(await stored()).toBe(rehashed); // current settings: left alone
    });

    it('answers a wrong password and an unknown phone alike: 401 INVALID_CREDENTIALS', async () => {
      const user = await registerUser(app);
      expectError(await login(app, user.phone, 'wrong-password'), 401, 'INVALID_CREDENTIALS');
      expectError(await login(app, randomPhone(), 'whatever-pass'), 401, 'INVALID_CREDENTIALS');
    });

    it('validates the login body (400, never 401, for bad input)', async () => {
      expectError(await app.request('POST', '/v1/auth/login', { body: { phone: 'nope', password: 'x' } }), 400, 'VALIDATION_FAILED');
      expectError(await app.request('POST', '/v1/auth/login', { body: {} }), 400, 'VALIDATION_FAILED');
      const extra = await app.request('POST', '/v1/auth/login', { body: { phone: randomPhone(), password: 'x', admin: true } });
      expectError(extra, 400, 'VALIDATION_FAILED');
    });

    it('gives 429 after 5 failed logins in a minute for one phone, even with the right password', async () => {
      const user = await registerUser(app);
      for (let i = 0; i < 5; i++) expectError(await login(app, user.phone, `wrong-${i}`), 401, 'INVALID_CREDENTIALS');
      expectError(await login(app, user.phone, 'wrong-again'), 429, 'RATE_LIMITED');
      expectError(await login(app, user.phone, user.password), 429, 'RATE_LIMITED');
      // another phone is not affected
      const other = await registerUser(app);
      expect((await login(app, other.phone, other.password)).status).toBe(200);
    });

    it('lets at most 5 of 20 parallel guesses be checked', async () => {
      const user = await registerUser(app);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => login(app, user.phone, `guess-${i}`)));
      const checked = results.filter((r) => r.status === 401).length;
      const limited = results.filter((r) => r.status === 429).length;
      expect(checked).toBe(5);
      expect(limited).toBe(15);
    });

    it('does not count successful logins as failures', async () => {
      const user = await registerUser(app);
      for (let i = 0; i < 8; i++) expect((await login(app, user.phone, user.password)).status).toBe(200);
    });
  });

  describe('access tokens', () => {
    it('GET /v1/me answers the user for a valid token', async () => {
      const user = await registerUser(app, { displayName: 'Han Meimei' });
      const res = await app.request('GET', '/v1/me', { token: user.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: user.id, phone: user.phone, displayName: 'Han Meimei', kycLevel: 0, roles: [] });
    });

    it('refuses a missing or malformed Authorization header with 401 UNAUTHENTICATED', async () => {
      expectError(await app.request('GET', '/v1/me'), 401, 'UNAUTHENTICATED');
      expectError(await app.request('GET', '/v1/me', { headers: { authorization: 'Bearer' } }), 401, 'UNAUTHENTICATED');
      expectError(await app.request('GET', '/v1/me', { headers: { authorization: 'Basic abc' } }), 401, 'UNAUTHENTICATED');
      expectError(await app.request('GET', '/v1/me', { token: 'not.a.jwt' }), 401, 'UNAUTHENTICATED');
    });

    it('refuses tampered, unsigned, foreign-key, expired and wrong-audience tokens', async () => {
      const user = await registerUser(app);
      const [h, p, s] = user.accessToken.split('.');
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
      const other = await registerUser(app);
      const otherClaims = JSON.parse(Buffer.from(other.accessToken.split('.')[1], 'base64url').toString()) as { sub: string };
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: otherClaims.sub })).toString('base64url')}.${s}`;
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
      const base = { sub: claims.sub, sid: claims.sid };
      const opts = { issuer: 'city-pay', audience: 'city-pay-api' };
      const foreign = jwt.sign(base, 'another-secret-that-is-long-enough-0123456789', { ...opts, expiresIn: 60 });
      const expired = jwt.sign({ ...base, exp: Math.floor(Date.now() / 1000) - 10 }, TEST_SECRETS.JWT_SECRET, opts);
      const wrongAud = jwt.sign(base, TEST_SECRETS.JWT_SECRET, { issuer: 'city-pay', audience: 'someone-else', expiresIn: 60 });
      const wrongIss = jwt.sign(base, TEST_SECRETS.JWT_SECRET, { issuer: 'evil', audience: 'city-pay-api', expiresIn: 60 });
      const hs512 = jwt.sign(base, TEST_SECRETS.JWT_SECRET, { ...opts, algorithm: 'HS512', expiresIn: 60 });
      const good = jwt.sign(base, TEST_SECRETS.JWT_SECRET, { ...opts, expiresIn: 60 });
      // right key, but never expiring, or with no issue time, or issued in the future
      const noExp = jwt.sign(base, TEST_SECRETS.JWT_SECRET, opts);
      const noIat = jwt.sign({ ...base, exp: Math.floor(Date.now() / 1000) + 60 }, TEST_SECRETS.JWT_SECRET, { ...opts, noTimestamp: true });
      const future = jwt.sign({ ...base, iat: Math.floor(Date.now() / 1000) + 3600 }, TEST_SECRETS.JWT_SECRET, { ...opts, expiresIn: 60 });
      expect(JSON.parse(Buffer.from(noExp.split('.')[1], 'base64url').toString())).not.toHaveProperty('exp');
      expect(JSON.parse(Buffer.from(noIat.split('.')[1], 'base64url').toString())).not.toHaveProperty('iat');

      for (const token of [tampered, none, foreign, expired, wrongAud, wrongIss, hs512, noExp, noIat, future]) {
        expectError(await app.request('GET', '/v1/me', { token }), 401, 'UNAUTHENTICATED');
      }
      // the same claims correctly signed are accepted: the refusals above are about the token, not the claims
      expect((await app.request('GET', '/v1/me', { token: good })).status).toBe(200);
    });
  });

  describe('refresh tokens', () => {
    it('rotates: each refresh spends the old token and issues a working pair', async () => {
      const user = await registerUser(app);
      const first = await app.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } });
      expect(first.status).toBe(200);
      expect(Object.keys(first.body).sort()).toEqual(['accessToken', 'refreshToken']);
      expect(first.body.refreshToken).not.toBe(user.refreshToken);
      expect((await app.request('GET', '/v1/me', { token: first.body.accessToken })).status).toBe(200);
      const second = await app.request('POST', '/v1/auth/refresh', { body: { refreshToken: first.body.refreshToken } });
      expect(second.status).toBe(200);
    });

    it('on reuse of a spent token: 401, and every token descended from that login is revoked', async () => {
      const user = await registerUser(app);
      const child = await app.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } });
      const grandchild = await app.request('POST', '/v1/auth/refresh', { body: { refreshToken: child.body.refreshToken } });
      expect(grandchild.status).toBe(200);

      // an attacker replays the first, spent token
      expectError(await app.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } }), 401, 'UNAUTHENTICATED');

      // the legitimate holder's newest tokens are dead too
      expectError(await app.request('POST', '/v1/auth/refresh', { body: { refreshToken: grandchild.body.refreshToken } }), 401, 'UNAUTHENTICATED');
      expectError(await app.request('GET', '/v1/me', { token: grandchild.body.accessToken }), 401, 'UNAUTHENTICATED');
      expectError(await app.request('GET', '/v1/me', { token: user.accessToken }), 401, 'UNAUTHENTICATED');

      // another login of the same user is a separate family and keeps working
      const again = await login(app, user.phone, user.password);
      expect((await app.request('GET', '/v1/me', { token: again.body.accessToken })).status).toBe(200);
    });

    it('when one token is refreshed twice at once, at most one succeeds and the family ends', async () => {
      const user = await registerUser(app);
      const results = await Promise.all(
        Array.from({ length: 5 }, () => app.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } })),
      );
      const ok = results.filter((r) => r.status === 200);
      expect(ok.length).toBe(1);
      // the others were reuses: the winner's tokens are revoked with the family
      expectError(await app.request('GET', '/v1/me', { token: ok[0].body.accessToken }), 401, 'UNAUTHENTICATED');
    });

    it('refuses an unknown refresh token', async () => {
      expectError(await app.request('POST', '/v1/auth/refresh', { body: { refreshToken: 'x'.repeat(43) } }), 401, 'UNAUTHENTICATED');
    });

    it('records refresh-token reuse in the audit log', async () => {
      const user = await registerUser(app);
      await app.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } });
      await app.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } });
      const rows = (await app.api.app.get((await import('typeorm')).DataSource).query(
        `SELECT action FROM identity.audit_events WHERE actor_user_id = $1 AND action = 'REFRESH_TOKEN_REUSED'`,
        [user.id],
      )) as unknown[];
      expect(rows).toHaveLength(1);
    });
  });

  describe('logout', () => {
    it('ends the session: its refresh and access tokens stop working', async () => {
      const user = await registerUser(app);
      const res = await app.request('POST', '/v1/auth/logout', { token: user.accessToken, body: { refreshToken: user.refreshToken } });
      expect(res.status).toBe(204);
      expectError(await app.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } }), 401, 'UNAUTHENTICATED');
      expectError(await app.request('GET', '/v1/me', { token: user.accessToken }), 401, 'UNAUTHENTICATED');
    });

    it('cannot end another user\'s session with their refresh token', async () => {
      const victim = await registerUser(app);
      const attacker = await registerUser(app);
      const res = await app.request('POST', '/v1/auth/logout', { token: attacker.accessToken, body: { refreshToken: victim.refreshToken } });
      expect(res.status).toBe(204);
      expect((await app.request('GET', '/v1/me', { token: victim.accessToken })).status).toBe(200);
      expect((await app.request('POST', '/v1/auth/refresh', { body: { refreshToken: victim.refreshToken } })).status).toBe(200);
    });

    it('needs a user token', async () => {
      expectError(await app.request('POST', '/v1/auth/logout', { body: { refreshToken: 'x' } }), 401, 'UNAUTHENTICATED');
    });
  });
});
