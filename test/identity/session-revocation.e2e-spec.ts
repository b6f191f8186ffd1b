import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { expectError, startApp, TEST_SECRETS, type TestApp } from '../support/app.js';
import { UsersService } from '@app/identity';
import { claimsOf } from '../support/campus.js';
import { ADMIN, adminToken, login, registerUser, verifiedUser } from '../support/factories.js';

/** The bound documented for a session ended in another API process (CallerCache: 3 s, documented as at most 5 s). */
const REVOCATION_BOUND_MS = 5_000;

/**
 * Callers are cached for a few seconds per session (no identity query per
 * request): an ended session must still be refused at once in the process
 * that ended it, and within the bound everywhere else; a grant the cached
 * caller lacks must never be refused on stale data.
 */
describe('identity: a revoked session is refused within its bound', () => {
  let app: TestApp;
  let db: pg.Client;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await app?.close();
  });

  it('logout refuses the access token at once, even one used (cached) just before', async () => {
    const user = await registerUser(app);
    expect((await app.request('GET', '/v1/me', { token: user.accessToken })).status).toBe(200);
    expect((await app.request('POST', '/v1/auth/logout', { token: user.accessToken, body: { refreshToken: user.refreshToken } })).status).toBe(204);
    expectError(await app.request('GET', '/v1/me', { token: user.accessToken }), 401, 'UNAUTHENTICATED');
  });

  it('a refresh-token reuse ends the session: its access token is refused at once', async () => {
    const user = await registerUser(app);
    expect((await app.request('GET', '/v1/me', { token: user.accessToken })).status).toBe(200);
    expect((await app.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } })).status).toBe(200);
    expectError(await app.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } }), 401, 'UNAUTHENTICATED');
    expectError(await app.request('GET', '/v1/me', { token: user.accessToken }), 401, 'UNAUTHENTICATED');
  });

  it('a session ended elsewhere (another process, straight in the database) is refused within the bound', async () => {
    const user = await registerUser(app);
    expect((await app.request('GET', '/v1/me', { token: user.accessToken })).status).toBe(200);
    await db.query(`UPDATE identity.auth_sessions SET revoked_at = now(), revoke_reason = 'LOGOUT' WHERE user_id = $1`, [user.id]);
    const ended = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - ended < REVOCATION_BOUND_MS + 2_000) {
      status = (await app.request('GET', '/v1/me', { token: user.accessToken })).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(401);
    expect(Date.now() - ended).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
  });

  it('a role granted just now is honoured at once, though the caller was cached without it', async () => {
    const admin = await adminToken(app);
    const staff = await verifiedUser(app);
    const org = await app.request('POST', '/v1/admin/organizations', { token: admin, body: { kind: 'TRANSIT_OPERATOR', name: 'Cache Test Bus' } });
    expect(org.status).toBe(201);
    // cached without the role: refused
    expectError(await app.request('POST', `/v1/organizations/${org.body.id}/devices`, { token: staff.accessToken, body: { kind: 'BUS_READER', label: 'r1' } }), 403, 'FORBIDDEN');
    expect((await app.request('POST', `/v1/organizations/${org.body.id}/staff`, { token: admin, body: { phone: staff.phone, role: 'ORG_ADMIN' } })).status).toBe(201);
    const device = await app.request('POST', `/v1/organizations/${org.body.id}/devices`, { token: staff.accessToken, body: { kind: 'BUS_READER', label: 'r1' } });
    expect(device.status).toBe(201);
  });

  it('a role granted just now is seen by a use case that checks staff itself, though the caller was cached without it', async () => {
    const admin = await adminToken(app);
    const staff = await verifiedUser(app);
    const org = await app.request('POST', '/v1/admin/organizations', { token: admin, body: { kind: 'TRANSIT_OPERATOR', name: 'Cache Test Bus 2' } });
    expect(org.status).toBe(201);
    const route = { operatorId: org.body.id, code: 'CT1', name: 'Cache test', fare: { type: 'FLAT', amount: 200, currency: 'CNY' } };
    // cached without the role: the transit service itself refuses
    expectError(await app.request('POST', '/v1/transit/routes', { token: staff.accessToken, body: route }), 403, 'FORBIDDEN');
    expect((await app.request('POST', `/v1/organizations/${org.body.id}/staff`, { token: admin, body: { phone: staff.phone, role: 'ORG_ADMIN' } })).status).toBe(201);
    expect((await app.request('POST', '/v1/transit/routes', { token: staff.accessToken, body: route })).status).toBe(201);
  });

  it('callers checked together are each their own: tokens of open and ended sessions at once, each answered for its user', async () => {
    const admin = (await login(app, ADMIN.phone, ADMIN.password)).body;
    const verified = await verifiedUser(app);
    const open = await Promise.all(Array.from({ length: 12 }, () => registerUser(app)));
    const ended = await Promise.all(Array.from({ length: 6 }, () => registerUser(app)));
    await db.query(`UPDATE identity.auth_sessions SET revoked_at = now(), revoke_reason = 'LOGOUT' WHERE user_id = ANY($1)`, [ended.map((u) => u.id)]);
    // a token we signed naming one user with another's open session: refused
    const crossed = jwt.sign({ sub: open[1]!.id, sid: claimsOf(open[0]!.accessToken).sid as string }, TEST_SECRETS.JWT_SECRET, { issuer: 'city-pay', audience: 'city-pay-api', expiresIn: 60 });
    // past the caller cache's age (CallerCache, 3 s): every token below is checked against the database, all at once
    await new Promise((r) => setTimeout(r, 3_100));
    const tokens = [
      { token: admin.accessToken as string, id: admin.user.id as string, open: true },
      { token: verified.accessToken, id: verified.id, open: true },
      ...open.map((u) => ({ token: u.accessToken, id: u.id, open: true })),
      ...ended.map((u) => ({ token: u.accessToken, id: u.id, open: false })),
      { token: crossed, id: open[1]!.id, open: false },
    ].sort(() => Math.random() - 0.5);
    const answers = await Promise.all(tokens.map((t) => app.request('GET', '/v1/me', { token: t.token })));
    answers.forEach((res, i) => {
      const t = tokens[i]!;
      if (!t.open) return expectError(res, 401, 'UNAUTHENTICATED');
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(t.id);
    });
    const me = (id: string) => answers[tokens.findIndex((t) => t.open && t.id === id)]!.body;
    expect(me(admin.user.id).roles).toContainEqual({ role: 'PLATFORM_ADMIN' });
    expect(me(verified.id).kycLevel).toBe(1);
    expect(me(open[0]!.id)).toMatchObject({ kycLevel: 0, roles: [] });
  });

  it("a token naming one user with another's session gets no caller, though that session's own token is in the same statement", async () => {
    const [owner, other, fillerA, fillerB] = await Promise.all(Array.from({ length: 4 }, () => registerUser(app)));
    const sessionOf = (u: { accessToken: string }) => claimsOf(u.accessToken).sid as string;
    const users = app.api.app.get(UsersService);
    // two loads take both statements' places; the two submitted next wait and go together, in one statement
    const loads = [
      users.loadCaller(fillerA!.id, sessionOf(fillerA!)),
      users.loadCaller(fillerB!.id, sessionOf(fillerB!)),
      users.loadCaller(owner!.id, sessionOf(owner!)),
      users.loadCaller(other!.id, sessionOf(owner!)),
    ];
    const [a, b, own, crossed] = await Promise.all(loads);
    expect([a?.id, b?.id, own?.id]).toEqual([fillerA!.id, fillerB!.id, owner!.id]);
    expect(crossed).toBeUndefined();
  });
});
