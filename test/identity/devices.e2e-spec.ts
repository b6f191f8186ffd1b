import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { expectError, startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, deviceRequest, orgWithAdmin, registerUser, type TestDevice } from '../support/factories.js';

describe('identity: devices signed with HMAC', () => {
  let app: TestApp;
  let admin: string;
  let orgId: string;
  let orgAdminToken: string;

  const newDevice = async (kind = 'BUS_READER', org = orgId, token = orgAdminToken): Promise<TestDevice> => {
    const res = await app.request('POST', `/v1/organizations/${org}/devices`, { token, body: { kind, label: 'Route 8 front door' } });
    if (res.status !== 201) throw new Error(`device: ${res.status} ${res.text}`);
    return { id: res.body.id, secret: res.body.secret, orgId: org };
  };

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
    const org = await orgWithAdmin(app, admin, 'TRANSIT_OPERATOR');
    orgId = org.orgId;
    orgAdminToken = org.orgAdmin.accessToken;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('creates a device and shows its 32-byte secret once, keeping it encrypted at rest', async () => {
    const res = await app.request('POST', `/v1/organizations/${orgId}/devices`, {
      token: orgAdminToken,
      body: { kind: 'BUS_READER', label: 'Bus 12 reader' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.any(String), kind: 'BUS_READER', label: 'Bus 12 reader', status: 'ACTIVE' });
    expect(res.body.secret).toMatch(/^[0-9a-f]{64}$/);
    const list = await app.request('GET', `/v1/organizations/${orgId}/devices`, { token: orgAdminToken });
    expect(list.text).not.toContain(res.body.secret);
    expect(list.body.map((d: { id: string }) => d.id)).toContain(res.body.id);
    const [row] = (await app.api.app.get(DataSource).query(`SELECT encode(secret_sealed, 'hex') AS h FROM identity.devices WHERE id = $1`, [res.body.id])) as { h: string }[];
    expect(row.h).not.toContain(Buffer.from(res.body.secret).toString('hex'));
    expect(JSON.stringify(app.logs)).not.toContain(res.body.secret);
  });

  it('lets only that organisation\'s ORG_ADMIN create devices, of a kind that fits the organisation', async () => {
    const operator = await registerUser(app);
    await app.request('POST', `/v1/organizations/${orgId}/staff`, { token: orgAdminToken, body: { phone: operator.phone, role: 'ORG_OPERATOR' } });
    expectError(await app.request('POST', `/v1/organizations/${orgId}/devices`, { token: operator.accessToken, body: { kind: 'BUS_READER', label: 'x' } }), 403, 'FORBIDDEN');
    expectError(await app.request('POST', `/v1/organizations/${orgId}/devices`, { token: admin, body: { kind: 'BUS_READER', label: 'x' } }), 403, 'FORBIDDEN');
    expectError(await app.request('POST', `/v1/organizations/${orgId}/devices`, { token: orgAdminToken, body: { kind: 'POS', label: 'x' } }), 422, 'DEVICE_KIND_NOT_ALLOWED');
  });

  it('accepts a correctly signed request and tells the device who it is', async () => {
    const device = await newDevice();
    const res = await deviceRequest(app, device, 'GET', '/v1/devices/me');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: device.id, kind: 'BUS_READER', label: 'Route 8 front door', organizationId: orgId });
    const beat = await deviceRequest(app, device, 'POST', '/v1/devices/me/heartbeat?seq=1', { appVersion: '2.4.1' });
    expect(beat.status).toBe(200);
    expect(Math.abs(Date.parse(beat.body.serverTime) - Date.now())).toBeLessThan(5000);
  });

  it('refuses each kind of bad request with 401 DEVICE_AUTH_FAILED', async () => {
    const device = await newDevice();
    const cases: [string, Promise<Awaited<ReturnType<typeof deviceRequest>>>][] = [
      ['wrong signature', deviceRequest(app, device, 'GET', '/v1/devices/me', undefined, { signature: '0'.repeat(64) })],
      ['signed with another secret', deviceRequest(app, { id: device.id, secret: 'f'.repeat(64) }, 'GET', '/v1/devices/me')],
      ['body altered after signing', deviceRequest(app, device, 'POST', '/v1/devices/me/heartbeat', { appVersion: '9' }, { signedBody: '{"appVersion":"1"}' })],
      ['timestamp 6 minutes old', deviceRequest(app, device, 'GET', '/v1/devices/me', undefined, { timestamp: Date.now() - 6 * 60_000 })],
      ['timestamp 6 minutes ahead', deviceRequest(app, device, 'GET', '/v1/devices/me', undefined, { timestamp: Date.now() + 6 * 60_000 })],
      ['unknown device', deviceRequest(app, { id: '00000000-0000-4000-8000-000000000000', secret: device.secret }, 'GET', '/v1/devices/me')],
      ['malformed device id', deviceRequest(app, { id: 'reader-1', secret: device.secret }, 'GET', '/v1/devices/me')],
      ['uppercase signature', (async () => {
        const ts = Date.now();
        const { signDeviceRequest } = await import('@app/identity');
        const sig = signDeviceRequest(device.secret, 'GET', '/v1/devices/me', String(ts), '').toUpperCase();
        return deviceRequest(app, device, 'GET', '/v1/devices/me', undefined, { timestamp: ts, signature: sig });
      })()],
      ['no headers', app.request('GET', '/v1/devices/me')],
    ];
    const wrong: string[] = [];
    for (const [name, pending] of cases) {
      const res = await pending;
      if (res.status !== 401 || res.body.code !== 'DEVICE_AUTH_FAILED') wrong.push(`${name}: ${res.status} ${res.text}`);
    }
    expect(wrong).toEqual([]);
  });

  it('signs the path with its query: a signature for one query does not pass for another', async () => {
    const device = await newDevice();
    const ts = Date.now();
    const { signDeviceRequest } = await import('@app/identity');
    const sig = signDeviceRequest(device.secret, 'GET', '/v1/devices/me?since=1', String(ts), '');
    const res = await app.request('GET', '/v1/devices/me?since=2', {
      headers: { 'x-device-id': device.id, 'x-device-timestamp': String(ts), 'x-device-signature': sig },
    });
    expectError(res, 401, 'DEVICE_AUTH_FAILED');
  });

  it('accepts a signature once: a replay is refused, even 10 replays in parallel let exactly one through', async () => {
    const device = await newDevice();
    const ts = Date.now();
    const { signDeviceRequest } = await import('@app/identity');
    const sig = signDeviceRequest(device.secret, 'GET', '/v1/devices/me', String(ts), '');
    const send = () => deviceRequest(app, device, 'GET', '/v1/devices/me', undefined, { timestamp: ts, signature: sig });
    const results = await Promise.all(Array.from({ length: 10 }, send));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expectError(r, 401, 'DEVICE_AUTH_FAILED');
    expectError(await send(), 401, 'DEVICE_AUTH_FAILED');
  });

  it('refuses a revoked device from then on; revoking is idempotent; other organisations get 404', async () => {
    const device = await newDevice();
    expect((await deviceRequest(app, device, 'GET', '/v1/devices/me')).status).toBe(200);
    const other = await orgWithAdmin(app, admin, 'TRANSIT_OPERATOR');
    expectError(
      await app.request('POST', `/v1/organizations/${other.orgId}/devices/${device.id}/revoke`, { token: other.orgAdmin.accessToken }),
      404,
      'NOT_FOUND',
    );
    expect((await deviceRequest(app, device, 'GET', '/v1/devices/me')).status).toBe(200);
    const res = await app.request('POST', `/v1/organizations/${orgId}/devices/${device.id}/revoke`, { token: orgAdminToken });
    expect(res.status).toBe(204);
    expectError(await deviceRequest(app, device, 'GET', '/v1/devices/me'), 401, 'DEVICE_AUTH_FAILED');
    expect((await app.request('POST', `/v1/organizations/${orgId}/devices/${device.id}/revoke`, { token: orgAdminToken })).status).toBe(204);
    const list = await app.request('GET', `/v1/organizations/${orgId}/devices`, { token: orgAdminToken });
    expect(list.body.find((d: { id: string }) => d.id === device.id)).toMatchObject({ status: 'REVOKED', revokedAt: expect.any(String) });
    const audit = await app.request('GET', `/v1/admin/audit-events?targetId=${device.id}`, { token: admin });
    expect(audit.body.items.map((e: { action: string }) => e.action).sort()).toEqual(['DEVICE_CREATED', 'DEVICE_REVOKED']);
  });

  it('a device this process knows is still checked against its row at every request (revoked by another process, secret changed, replays)', async () => {
    const ds = app.api.app.get(DataSource);
    const { signDeviceRequest } = await import('@app/identity');
    // known to this process (its secret opened once) after a first request
    const device = await newDevice();
    expect((await deviceRequest(app, device, 'GET', '/v1/devices/me')).status).toBe(200);
    expect((await deviceRequest(app, device, 'GET', '/v1/devices/me')).status).toBe(200);
    // a replay of a known device's signature
    const ts = Date.now();
    const sig = signDeviceRequest(device.secret, 'GET', '/v1/devices/me', String(ts), '');
    const send = () => deviceRequest(app, device, 'GET', '/v1/devices/me', undefined, { timestamp: ts, signature: sig });
    expect((await send()).status).toBe(200);
    expectError(await send(), 401, 'DEVICE_AUTH_FAILED');
    expect((await deviceRequest(app, device, 'GET', '/v1/devices/me')).status).toBe(200);
    // revoked by another API process (straight in the database: this process's memory is not told)
    await ds.query(`UPDATE identity.devices SET revoked_at = now() WHERE id = $1`, [device.id]);
    expectError(await deviceRequest(app, device, 'GET', '/v1/devices/me'), 401, 'DEVICE_AUTH_FAILED');
    expectError(await deviceRequest(app, device, 'GET', '/v1/devices/me'), 401, 'DEVICE_AUTH_FAILED');

    // its sealed secret replaced (the old secret no longer signs)
    const other = await newDevice();
    const replacement = await newDevice();
    expect((await deviceRequest(app, other, 'GET', '/v1/devices/me')).status).toBe(200);
    await ds.query(
      `UPDATE identity.devices SET secret_sealed = (SELECT secret_sealed FROM identity.devices WHERE id = $2) WHERE id = $1`,
      [other.id, replacement.id],
    );
    expectError(await deviceRequest(app, other, 'GET', '/v1/devices/me'), 401, 'DEVICE_AUTH_FAILED');
  });

  it('keeps users and devices apart: a user token does not open a device route, nor device headers a user route', async () => {
    const device = await newDevice();
    const user = await registerUser(app);
    expectError(await app.request('GET', '/v1/devices/me', { token: user.accessToken }), 401, 'DEVICE_AUTH_FAILED');
    expectError(await deviceRequest(app, device, 'GET', '/v1/me'), 401, 'UNAUTHENTICATED');
  });

  it('lets a merchant create POS devices', async () => {
    const merchant = await orgWithAdmin(app, admin, 'MERCHANT');
    const pos = await newDevice('POS', merchant.orgId, merchant.orgAdmin.accessToken);
    const res = await deviceRequest(app, pos, 'GET', '/v1/devices/me');
    expect(res.body).toMatchObject({ kind: 'POS', organizationId: merchant.orgId });
  });
});
