import { shanghaiDay } from '@app/common';
import { ConfigError } from '@app/config';
import { loadPlatformConfig } from '@app/platform';
import { createApi } from './bootstrap.js';
import { seedTransit } from './seed-transit.js';

/**
 * `npm run seed:demo`: the five Tianjin utility billers with a month of
 * sample bills, a bill operator, and a demo citizen (real-name verified,
 * 500 yuan in the wallet, electricity and water accounts linked). Runs the
 * real API in-process on a loopback port and goes through its HTTP routes,
 * so everything it creates passed the same checks as a client's requests.
 * Safe to run again: it reuses what exists. Run it with the server stopped
 * (the embedded database belongs to one process at a time).
 */
const DEMO_ADMIN = { phone: '+8613900000000', password: 'demo-admin-password' };
const OPERATOR = { phone: '+8613900000100', password: 'demo-operator-password' };
const CITIZEN = { phone: '+8613800138000', password: 'demo-citizen-password', fullName: '李明', idNumber: '11010519491231002X' };

const BILLERS = [
  { name: '国网天津市电力公司 State Grid Tianjin Electric Power', billerCategory: 'ELECTRICITY', prefix: 'TJE', base: 18_650 },
  { name: '天津水务集团 Tianjin Water Group', billerCategory: 'WATER', prefix: 'TJW', base: 6_420 },
  { name: '天津津燃公用事业 Tianjin Gas', billerCategory: 'GAS', prefix: 'TJG', base: 9_830, billerAllowsPartial: true },
  { name: '天津市热力有限公司 Tianjin Heating', billerCategory: 'HEATING', prefix: 'TJH', base: 55_000, billerAllowsPartial: true },
  { name: '天津广电网络 Tianjin Cable TV', billerCategory: 'CABLE_TV', prefix: 'TJC', base: 2_650, billerAllowsAdvance: true },
];
const CAMPUS_ADMIN = { phone: '+8613900000200', password: 'demo-campus-password' };
const UNIVERSITY = '天津商业大学 Tianjin University of Commerce';
const CAMPUS_MERCHANTS = [
  { name: '天津商业大学 第一食堂 No. 1 Canteen', merchantCategory: 'CANTEEN' },
  { name: '天津商业大学 校园超市 Campus Shop', merchantCategory: 'SHOP' },
];
const STUDENT_NO = '2024010001';
const NAMES = ['王芳', '李娜', '张伟', '刘洋', '陈静', '杨磊', '赵敏', '黄强', '周杰', '吴婷'];

/** An answer the seed did not expect: it stops there and says so, claiming nothing. */
class SeedStopped extends Error {
  constructor(what: string, res: { status: number; body: unknown }) {
    const body = (res.body ?? {}) as { code?: string; message?: string };
    const hint =
      body.code === 'ID_ALREADY_BOUND'
        ? ` The demo citizen's sample ID number ${CITIZEN.idNumber} is already bound to another account in this database, so ${CITIZEN.phone} cannot be real-name verified and could not pay bills. Unbind it (or use a fresh database) and run the seed again.`
        : '';
    super(`${what} answered ${res.status} ${body.code ?? ''} ${body.message ?? JSON.stringify(res.body)}.${hint}`.replace(/ +/g, ' '));
  }
}

type Call = (method: string, path: string, body?: unknown, token?: string, key?: string) => Promise<{ status: number; body: any }>;

async function main(): Promise<void> {
  let config;
  try {
    config = loadPlatformConfig();
    if (!config.ADMIN_PHONE) config = loadPlatformConfig({ ADMIN_PHONE: DEMO_ADMIN.phone, ADMIN_PASSWORD: DEMO_ADMIN.password });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  config.JOBS_IN_API = false;
  config.LOG_LEVEL = 'warn';
  const api = await createApi(config);
  try {
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.app.getHttpServer().address() as { port: number };
    const call: Call = async (method, path, body, token, key) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(key ? { 'idempotency-key': key } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    /** The answer's body if it is one of `ok` (a status, or "status CODE" for a refusal that means "already done"); otherwise the seed stops. */
    const expect = (what: string, res: { status: number; body: unknown }, ...ok: (number | string)[]) => {
      const code = (res.body as { code?: string } | null)?.code;
      if (!ok.includes(res.status) && !ok.includes(`${res.status} ${code}`)) throw new SeedStopped(what, res);
      return res.body as any;
    };
    const login = async (phone: string, password: string) => expect(`login ${phone}`, await call('POST', '/v1/auth/login', { phone, password }), 200).accessToken as string;
    const user = async (phone: string, password: string): Promise<{ token: string; id: string }> => {
      const reg = expect(`register ${phone}`, await call('POST', '/v1/auth/register', { phone, password }), 201, '409 PHONE_TAKEN');
      const token = reg?.accessToken ? (reg.accessToken as string) : await login(phone, password);
      const me = expect('me', await call('GET', '/v1/me', undefined, token), 200);
      return { token, id: me.id as string };
    };

    const admin = await login(config.ADMIN_PHONE!, config.ADMIN_PASSWORD!);
    const operator = await user(OPERATOR.phone, OPERATOR.password);
    const existing = expect('billers', await call('GET', '/v1/admin/organizations?kind=BILLER', undefined, admin), 200) as { id: string; name: string }[];
    const citizen = await user(CITIZEN.phone, CITIZEN.password);
    // 200 also when already verified with this number; anything else (the sample number bound to someone else, ...) leaves the citizen unable to pay
    const verified = expect(
      'real-name verification of the demo citizen',
      await call('POST', '/v1/me/real-name', { fullName: CITIZEN.fullName, idType: 'PRC_ID', idNumber: CITIZEN.idNumber }, citizen.token),
      200,
      '409 REAL_NAME_ALREADY_VERIFIED',
    );
    if (!verified?.kycLevel && expect('me', await call('GET', '/v1/me', undefined, citizen.token), 200).kycLevel < 1) {
      throw new Error(`the demo citizen ${CITIZEN.phone} is not real-name verified`);
    }

    const period = shanghaiDay(new Date()).slice(0, 7);
    const due = `${period}-28`;
    const lines: string[] = [];
    for (const b of BILLERS) {
      const { prefix, base, ...org } = b;
      const id = existing.find((e) => e.name === b.name)?.id ?? expect(`biller ${b.name}`, await call('POST', '/v1/admin/organizations', { kind: 'BILLER', ...org }, admin), 201).id;
      expect('operator', await call('POST', `/v1/organizations/${id}/staff`, { phone: OPERATOR.phone, role: 'ORG_OPERATOR' }, admin), 201, 200);
      const bills = Array.from({ length: 20 }, (_, i) => ({
        customerRef: `${prefix}${String(i + 1).padStart(6, '0')}`,
        period,
        amount: base + i * 137,
        currency: 'CNY',
        dueDate: due,
        customerName: i === 0 ? CITIZEN.fullName : NAMES[i % NAMES.length],
      }));
      const loaded = expect('bills', await call('POST', `/v1/billers/${id}/bills`, { bills }, operator.token), 201);
      lines.push(`  ${b.billerCategory.padEnd(11)} ${id}  ${b.name}: ${loaded.created} new, ${loaded.updated} updated bills; customer refs ${prefix}000001..${prefix}000020`);
      if (b.billerCategory === 'ELECTRICITY' || b.billerCategory === 'WATER') {
        expect('link', await call('POST', '/v1/me/biller-accounts', { billerId: id, customerRef: `${prefix}000001`, alias: '家' }, citizen.token), 201, '409 ACCOUNT_ALREADY_LINKED');
      }
    }
    const wallet = expect('wallet', await call('GET', '/v1/wallet', undefined, citizen.token), 200) as { balances: { amount: number }[] };
    if ((wallet.balances[0]?.amount ?? 0) < 50_000) {
      expect(
        'credit',
        await call('POST', '/v1/admin/adjustments', { userId: citizen.id, direction: 'CREDIT', amount: 50_000, currency: 'CNY', reason: 'demo funds' }, admin, `seed-demo-${citizen.id}-${period}`),
        201,
      );
    }
    const campus = await seedCampus(call, expect, admin, citizen.token, user);
    const transit = await seedTransit(call, expect, admin, { token: operator.token, phone: OPERATOR.phone });
    process.stdout.write(
      [
        'City Pay demo data ready.',
        `Billers (bill operator ${OPERATOR.phone} / ${OPERATOR.password}):`,
        ...lines,
        `Demo citizen: ${CITIZEN.phone} / ${CITIZEN.password} (real-name verified, wallet topped up to at least 500.00 CNY,`,
        '  electricity TJE000001 and water TJW000001 linked: GET /v1/me/bills, then POST /v1/bills/<id>/payments).',
        ...campus,
        ...transit,
        `Platform administrator: ${config.ADMIN_PHONE}${config.ADMIN_PHONE === DEMO_ADMIN.phone ? ` / ${DEMO_ADMIN.password}` : ''}`,
        '',
      ].join('\n'),
    );
  } finally {
    await api.close();
  }
}

type Expect = (what: string, res: { status: number; body: unknown }, ...ok: number[]) => any;

/**
 * The campus card demo: the Tianjin University of Commerce with a roster
 * (the demo citizen is student 2024010001), a canteen and a shop with a POS
 * each, and the demo citizen's card, funded from the wallet and with a meal
 * subsidy. Reuses what exists; a POS secret is shown only when it is made.
 */
async function seedCampus(call: Call, expect: Expect, admin: string, citizen: string, user: (phone: string, password: string) => Promise<{ token: string; id: string }>): Promise<string[]> {
  const staff = await user(CAMPUS_ADMIN.phone, CAMPUS_ADMIN.password);
  const orgs = (kind: string) => call('GET', `/v1/admin/organizations?kind=${kind}`, undefined, admin).then((r) => expect(kind, r, 200) as { id: string; name: string }[]);
  const universityId =
    (await orgs('UNIVERSITY')).find((o) => o.name === UNIVERSITY)?.id ?? expect('university', await call('POST', '/v1/admin/organizations', { kind: 'UNIVERSITY', name: UNIVERSITY }, admin), 201).id;
  expect('university staff', await call('POST', `/v1/organizations/${universityId}/staff`, { phone: CAMPUS_ADMIN.phone, role: 'ORG_ADMIN' }, admin), 201, 200, 409);
  const roster = [{ memberNo: STUDENT_NO, fullName: CITIZEN.fullName, kind: 'STUDENT' }, ...NAMES.map((fullName, i) => ({ memberNo: `20240100${String(i + 2).padStart(2, '0')}`, fullName, kind: 'STUDENT' })), { memberNo: 'T0001', fullName: '郑老师', kind: 'STAFF' }];
  const loaded = expect('roster', await call('POST', `/v1/campus/${universityId}/members`, { members: roster }, staff.token), 201);
  const lines = [`Campus card: ${UNIVERSITY} ${universityId} (staff ${CAMPUS_ADMIN.phone} / ${CAMPUS_ADMIN.password}); roster ${loaded.created} new, ${loaded.updated} updated`];
  const merchants = await orgs('MERCHANT');
  for (const m of CAMPUS_MERCHANTS) {
    const id = merchants.find((o) => o.name === m.name)?.id ?? expect('merchant', await call('POST', '/v1/admin/organizations', { kind: 'MERCHANT', universityId, ...m }, admin), 201).id;
    expect('merchant staff', await call('POST', `/v1/organizations/${id}/staff`, { phone: CAMPUS_ADMIN.phone, role: 'ORG_ADMIN' }, admin), 201, 200, 409);
    const devices = expect('devices', await call('GET', `/v1/organizations/${id}/devices`, undefined, staff.token), 200) as { id: string }[];
    if (devices.length === 0) {
      const pos = expect('POS', await call('POST', `/v1/organizations/${id}/devices`, { kind: 'POS', label: `${m.merchantCategory} till 1` }, staff.token), 201);
      lines.push(`  ${m.merchantCategory.padEnd(7)} ${id}  ${m.name}: POS ${pos.id} secret ${pos.secret} (shown once: npm run pos -- config --device-id ${pos.id} --secret ...)`);
    } else {
      lines.push(`  ${m.merchantCategory.padEnd(7)} ${id}  ${m.name}: POS ${devices.map((d) => d.id).join(', ')} (secret shown when it was made)`);
    }
  }
  const issued = await call('POST', '/v1/campus/cards', { universityId, memberNo: STUDENT_NO }, citizen);
  expect('card', issued, 201, 409);
  const cards = expect('cards', await call('GET', '/v1/campus/cards', undefined, citizen), 200) as { id: string; universityId: string; balance: number; subsidyBalance: number }[];
  const card = cards.find((c) => c.universityId === universityId)!;
  if (issued.status === 201) {
    // the card's 100.00 come from the wallet; the wallet gets them first, so it keeps its 500.00
    const me = expect('me', await call('GET', '/v1/me', undefined, citizen), 200) as { id: string };
    expect('card funds', await call('POST', '/v1/admin/adjustments', { userId: me.id, direction: 'CREDIT', amount: 10_000, currency: 'CNY', reason: 'demo campus card funds' }, admin, `seed-demo-card-funds-${card.id}`), 201);
    expect('card top-up', await call('POST', `/v1/campus/cards/${card.id}/top-ups`, { amount: 10_000, source: 'WALLET' }, citizen, `seed-demo-card-top-up-${card.id}`), 201);
    expect('subsidy', await call('POST', `/v1/campus/${universityId}/subsidies`, { memberNos: [STUDENT_NO], amount: 5_000, memo: '餐补 meal subsidy' }, staff.token, `seed-demo-subsidy-${card.id}`), 201);
  }
  const now = expect('cards', await call('GET', '/v1/campus/cards', undefined, citizen), 200).find((c: { id: string }) => c.id === card.id) as { balance: number; subsidyBalance: number };
  lines.push(`  the demo citizen's card ${card.id} (student ${STUDENT_NO}): balance ${(now.balance / 100).toFixed(2)} CNY, of which subsidy ${(now.subsidyBalance / 100).toFixed(2)}`);
  return lines;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`seed:demo stopped, demo data NOT ready: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
