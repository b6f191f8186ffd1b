import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { expectError, startApp, type TestApp } from '../support/app.js';
import { randomPrcId, registerUser } from '../support/factories.js';
import { KycProbeModule } from '../support/kyc-probe.module.js';

describe('identity: real-name verification (KYC)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({}, { imports: [KycProbeModule] });
  });
  afterAll(async () => {
    await app?.close();
  });

  const submit = (token: string, body: Record<string, unknown>) => app.request('POST', '/v1/me/real-name', { token, body });

  it('verifies a valid PRC ID: kycLevel 1, masked number, full number nowhere', async () => {
    const user = await registerUser(app);
    const id = randomPrcId('19900307');
    const res = await submit(user.accessToken, { fullName: '王小明', idType: 'PRC_ID', idNumber: id });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: user.id,
      kycLevel: 1,
      realName: { fullName: '王小明', idType: 'PRC_ID', idNumberMasked: `${id.slice(0, 2)}${'*'.repeat(14)}${id.slice(-2)}` },
    });
    const me = await app.request('GET', '/v1/me', { token: user.accessToken });
    expect(me.body.kycLevel).toBe(1);
    expect(me.text).not.toContain(id);
    expect(JSON.stringify(app.logs)).not.toContain(id);
    const [row] = (await app.api.app.get(DataSource).query(`SELECT row_to_json(u)::text AS j FROM identity.users u WHERE id = $1`, [user.id])) as { j: string }[];
    expect(row.j).not.toContain(id);
    expect(row.j).not.toContain(id.slice(2, 16));
  });

  it.each([
    ['a wrong check digit', () => { const id = randomPrcId(); return id.slice(0, 17) + (id[17] === '0' ? '1' : '0'); }],
    ['an impossible date (Feb 30)', () => randomPrcId('19990230')],
    ['a date in the future', () => randomPrcId('20991231')],
    ['a birth over 130 years ago', () => randomPrcId('18800101')],
    ['a wrong length', () => '1101051990010112'],
  ])('refuses a PRC ID with %s: 422 INVALID_ID_NUMBER', async (_name, make) => {
    const user = await registerUser(app);
    expectError(await submit(user.accessToken, { fullName: 'A', idType: 'PRC_ID', idNumber: make() }), 422, 'INVALID_ID_NUMBER');
    expect((await app.request('GET', '/v1/me', { token: user.accessToken })).body.kycLevel).toBe(0);
  });

  it('checks HK/Macao permits and passports by format', async () => {
    const a = await registerUser(app);
    expect((await submit(a.accessToken, { fullName: 'Chan Tai Man', idType: 'HK_MO_PERMIT', idNumber: `H${Date.now() % 1e8}`.padEnd(9, '0') })).status).toBe(200);
    const b = await registerUser(app);
    expectError(await submit(b.accessToken, { fullName: 'Chan', idType: 'HK_MO_PERMIT', idNumber: 'X12345678' }), 422, 'INVALID_ID_NUMBER');
    const c = await registerUser(app);
    expect((await submit(c.accessToken, { fullName: 'Kim', idType: 'PASSPORT', idNumber: `M${Date.now()}` })).status).toBe(200);
    expectError(await submit(b.accessToken, { fullName: 'Kim', idType: 'PASSPORT', idNumber: 'AB-12' }), 422, 'INVALID_ID_NUMBER');
  });

  it('binds one number to one account: 409 ID_ALREADY_BOUND for a second one', async () => {
    const id = randomPrcId();
    const first = await registerUser(app);
    const second = await registerUser(app);
    expect((await submit(first.accessToken, { fullName: '甲', idType: 'PRC_ID', idNumber: id })).status).toBe(200);
    expectError(await submit(second.accessToken, { fullName: '乙', idType: 'PRC_ID', idNumber: id.toLowerCase() }), 409, 'ID_ALREADY_BOUND');
  });

  it('binds a number once whatever type it is declared as', async () => {
    const number = `E${Date.now() % 1e8}`.padEnd(9, '7');
    const first = await registerUser(app);
    const second = await registerUser(app);
    expect((await submit(first.accessToken, { fullName: 'Kim', idType: 'PASSPORT', idNumber: number })).status).toBe(200);
    // a PRC ID cannot be verified as a passport to skip its checks or to bind it twice
    const prc = randomPrcId();
    await submit(second.accessToken, { fullName: 'Lee', idType: 'PRC_ID', idNumber: prc });
    const third = await registerUser(app);
    expectError(await submit(third.accessToken, { fullName: 'Lee', idType: 'PASSPORT', idNumber: prc }), 422, 'INVALID_ID_NUMBER');
    const fourth = await registerUser(app);
    expectError(await submit(fourth.accessToken, { fullName: 'Park', idType: 'HK_MO_PERMIT', idNumber: 'X' }), 422, 'INVALID_ID_NUMBER');
    // the same passport number declared as something else still finds its owner
    const fifth = await registerUser(app);
    const res = await submit(fifth.accessToken, { fullName: 'Kim', idType: 'PASSPORT', idNumber: number.toLowerCase() });
    expectError(res, 409, 'ID_ALREADY_BOUND');
  });

  it('lets exactly one of several users binding the same number at the same moment win', async () => {
    const id = randomPrcId();
    const users = await Promise.all(Array.from({ length: 6 }, () => registerUser(app)));
    const results = await Promise.all(users.map((u) => submit(u.accessToken, { fullName: '丙', idType: 'PRC_ID', idNumber: id })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expectError(r, 409, 'ID_ALREADY_BOUND');
  });

  it('is idempotent for the same number, and refuses another number once verified', async () => {
    const user = await registerUser(app);
    const id = randomPrcId();
    expect((await submit(user.accessToken, { fullName: '丁', idType: 'PRC_ID', idNumber: id })).status).toBe(200);
    expect((await submit(user.accessToken, { fullName: '丁', idType: 'PRC_ID', idNumber: id })).status).toBe(200);
    expectError(await submit(user.accessToken, { fullName: '丁', idType: 'PRC_ID', idNumber: randomPrcId() }), 409, 'REAL_NAME_ALREADY_VERIFIED');
  });

  it('refuses mass assignment and bad fields with 400', async () => {
    const user = await registerUser(app);
    expectError(await submit(user.accessToken, { fullName: 'A', idType: 'PRC_ID', idNumber: randomPrcId(), kycLevel: 1 }), 400, 'VALIDATION_FAILED');
    expectError(await submit(user.accessToken, { fullName: '', idType: 'PRC_ID', idNumber: randomPrcId() }), 400, 'VALIDATION_FAILED');
    expectError(await submit(user.accessToken, { fullName: 'A', idType: 'DRIVER_LICENSE', idNumber: 'X' }), 400, 'VALIDATION_FAILED');
  });

  it('refuses money-moving routes to kycLevel 0 with 403 KYC_REQUIRED, and allows them after verification', async () => {
    const user = await registerUser(app);
    expectError(await app.request('POST', '/probe/kyc', { token: user.accessToken }), 403, 'KYC_REQUIRED');
    await submit(user.accessToken, { fullName: '戊', idType: 'PRC_ID', idNumber: randomPrcId() });
    const res = await app.request('POST', '/probe/kyc', { token: user.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId: user.id });
  });
});
