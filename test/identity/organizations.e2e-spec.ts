import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AdminBootstrapService } from '@app/identity';
import { expectError, startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, createOrg, login, orgWithAdmin, registerUser } from '../support/factories.js';

describe('identity: administrator, organisations, staff roles, audit', () => {
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('bootstraps the platform administrator from ADMIN_PHONE once, at real-name level 1', async () => {
    const me = await app.request('GET', '/v1/me', { token: admin });
    expect(me.body).toMatchObject({ phone: ADMIN.phone, kycLevel: 1, roles: [{ role: 'PLATFORM_ADMIN' }] });
    // replicas starting at once (or a restart) create nobody more and change nothing
    // (not a second app in this process: passport keeps one strategy registry per process)
    const bootstrap = app.api.app.get(AdminBootstrapService);
    await Promise.all(Array.from({ length: 5 }, () => bootstrap.onApplicationBootstrap()));
    const [{ n }] = (await app.api.app.get(DataSource).query(`SELECT count(*)::int AS n FROM identity.users WHERE phone = $1`, [ADMIN.phone])) as { n: number }[];
    expect(n).toBe(1);
    expect((await login(app, ADMIN.phone, ADMIN.password)).status).toBe(200);
  });

  it('creates organisations of every kind with their attributes', async () => {
    const biller = await app.request('POST', '/v1/admin/organizations', {
      token: admin,
      body: { name: 'Tianjin Electric', kind: 'BILLER', billerCategory: 'ELECTRICITY', billerAllowsPartial: true },
    });
    expect(biller.status).toBe(201);
    expect(biller.body).toMatchObject({ kind: 'BILLER', billerCategory: 'ELECTRICITY', billerAllowsPartial: true, billerAllowsAdvance: false, currency: 'CNY' });
    const uni = await createOrg(app, admin, { kind: 'UNIVERSITY', name: 'Tianjin University of Commerce' });
    const canteen = await app.request('POST', '/v1/admin/organizations', {
      token: admin,
      body: { name: 'No. 2 Canteen', kind: 'MERCHANT', universityId: uni.id, merchantCategory: 'CANTEEN' },
    });
    expect(canteen.status).toBe(201);
    expect(canteen.body).toMatchObject({ kind: 'MERCHANT', universityId: uni.id, merchantCategory: 'CANTEEN' });
    const hk = await createOrg(app, admin, { kind: 'TRANSIT_OPERATOR', currency: 'HKD' });
    expect(hk).toMatchObject({ kind: 'TRANSIT_OPERATOR', currency: 'HKD' });
  });

  it('checks the attributes against the kind', async () => {
    const noCategory = await app.request('POST', '/v1/admin/organizations', { token: admin, body: { name: 'Water', kind: 'BILLER' } });
    expectError(noCategory, 400, 'VALIDATION_FAILED');
    expect(noCategory.body.details[0].field).toBe('billerCategory');
    const misplaced = await app.request('POST', '/v1/admin/organizations', {
      token: admin,
      body: { name: 'Bus', kind: 'TRANSIT_OPERATOR', billerAllowsAdvance: true },
    });
    expectError(misplaced, 400, 'VALIDATION_FAILED');
    const notUni = await createOrg(app, admin, { kind: 'TRANSIT_OPERATOR' });
    const res = await app.request('POST', '/v1/admin/organizations', {
      token: admin,
      body: { name: 'Shop', kind: 'MERCHANT', universityId: notUni.id },
    });
    expectError(res, 422, 'INVALID_UNIVERSITY');
    expectError(
      await app.request('POST', '/v1/admin/organizations', { token: admin, body: { name: 'X', kind: 'BANK' } }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('lets only platform administrators create organisations', async () => {
    const user = await registerUser(app);
    expectError(await app.request('POST', '/v1/admin/organizations', { token: user.accessToken, body: { name: 'X', kind: 'UNIVERSITY' } }), 403, 'FORBIDDEN');
  });

  it('grants staff roles: by the platform admin and by the organisation\'s ORG_ADMIN', async () => {
    const { orgId, orgAdmin } = await orgWithAdmin(app, admin);
    const operator = await registerUser(app);
    const res = await app.request('POST', `/v1/organizations/${orgId}/staff`, {
      token: orgAdmin.accessToken,
      body: { phone: operator.phone, role: 'ORG_OPERATOR' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ userId: operator.id, organizationId: orgId, role: 'ORG_OPERATOR' });
    const me = await app.request('GET', '/v1/me', { token: operator.accessToken });
    expect(me.body.roles).toEqual([{ role: 'ORG_OPERATOR', organizationId: orgId }]);
    // the operator may read the organisation but not grant roles
    expect((await app.request('GET', `/v1/organizations/${orgId}`, { token: operator.accessToken })).status).toBe(200);
    const other = await registerUser(app);
    expectError(
      await app.request('POST', `/v1/organizations/${orgId}/staff`, { token: operator.accessToken, body: { phone: other.phone, role: 'ORG_ADMIN' } }),
      403,
      'FORBIDDEN',
    );
  });

  it('gives staff of organisation A 403 on organisation B', async () => {
    const a = await orgWithAdmin(app, admin);
    const b = await orgWithAdmin(app, admin);
    const someone = await registerUser(app);
    for (const [method, path, body] of [
      ['GET', `/v1/organizations/${b.orgId}`, undefined],
      ['POST', `/v1/organizations/${b.orgId}/staff`, { phone: someone.phone, role: 'ORG_OPERATOR' }],
      ['POST', `/v1/organizations/${b.orgId}/devices`, { kind: 'BUS_READER', label: 'x' }],
      ['GET', `/v1/organizations/${b.orgId}/devices`, undefined],
    ] as const) {
      expectError(await app.request(method, path, { token: a.orgAdmin.accessToken, body }), 403, 'FORBIDDEN');
    }
  });

  it('answers 404 for an unknown phone or organisation', async () => {
    const { orgId, orgAdmin } = await orgWithAdmin(app, admin);
    expectError(
      await app.request('POST', `/v1/organizations/${orgId}/staff`, { token: orgAdmin.accessToken, body: { phone: '+8613000000000', role: 'ORG_OPERATOR' } }),
      404,
      'NOT_FOUND',
    );
    const someone = await registerUser(app);
    expectError(
      await app.request('POST', `/v1/organizations/00000000-0000-4000-8000-000000000000/staff`, { token: admin, body: { phone: someone.phone, role: 'ORG_ADMIN' } }),
      404,
      'NOT_FOUND',
    );
    expectError(await app.request('GET', `/v1/organizations/not-a-uuid`, { token: admin }), 404, 'NOT_FOUND');
  });

  it('refuses a role that is not a staff role (no PLATFORM_ADMIN through this route)', async () => {
    const { orgId, orgAdmin } = await orgWithAdmin(app, admin);
    const someone = await registerUser(app);
    expectError(
      await app.request('POST', `/v1/organizations/${orgId}/staff`, { token: orgAdmin.accessToken, body: { phone: someone.phone, role: 'PLATFORM_ADMIN' } }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('keeps an append-only audit log of security events, readable by the platform admin', async () => {
    const { orgId, orgAdmin } = await orgWithAdmin(app, admin);
    await login(app, orgAdmin.phone, 'wrong-password!');
    const res = await app.request('GET', `/v1/admin/audit-events?targetId=${orgAdmin.id}&limit=10`, { token: admin });
    expect(res.status).toBe(200);
    expect(res.body.items.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['ROLE_GRANTED', 'USER_REGISTERED']));
    const grant = res.body.items.find((e: { action: string }) => e.action === 'ROLE_GRANTED');
    expect(grant).toMatchObject({ targetType: 'user', details: { role: 'ORG_ADMIN', organizationId: orgId } });
    expect(grant.actorUserId).toEqual(expect.any(String));
    const failures = await app.request('GET', `/v1/admin/audit-events?action=LOGIN_FAILED&targetId=${encodeURIComponent(orgAdmin.phone)}`, { token: admin });
    expect(failures.body.items).toHaveLength(1);
    expect(failures.body.items[0]).toMatchObject({ actorUserId: orgAdmin.id, details: { reason: 'WRONG_PASSWORD' } });

    const ds = app.api.app.get(DataSource);
    await expect(ds.query(`UPDATE identity.audit_events SET action = 'X'`)).rejects.toThrow(/append-only/);
    await expect(ds.query(`DELETE FROM identity.audit_events`)).rejects.toThrow(/append-only/);
    await expect(ds.query(`TRUNCATE identity.audit_events`)).rejects.toThrow(/append-only/);
    expectError(await app.request('GET', '/v1/admin/audit-events', { token: orgAdmin.accessToken }), 403, 'FORBIDDEN');
  });

  it('pages the audit log with a cursor, newest first', async () => {
    const first = await app.request('GET', '/v1/admin/audit-events?limit=2', { token: admin });
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await app.request('GET', `/v1/admin/audit-events?limit=2&cursor=${first.body.nextCursor}`, { token: admin });
    expect(Number(second.body.items[0].id)).toBeLessThan(Number(first.body.items[1].id));
    expectError(await app.request('GET', '/v1/admin/audit-events?cursor=garbage', { token: admin }), 400, 'VALIDATION_FAILED');
    expectError(await app.request('GET', '/v1/admin/audit-events?limit=500', { token: admin }), 400, 'VALIDATION_FAILED');
  });
});
