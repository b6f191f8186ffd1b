import { shanghaiDay } from '@app/common';
import { ConfigError, loadConfigFromEnvironment } from '@app/config';
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
const NAMES = ['王芳', '李娜', '张伟', '刘洋', '陈静', '杨磊', '赵敏', '黄强', '周杰', '吴婷'];

type Call = (method: string, path: string, body?: unknown, token?: string, key?: string) => Promise<{ status: number; body: any }>;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfigFromEnvironment();
    if (!config.ADMIN_PHONE) config = loadConfigFromEnvironment({ ADMIN_PHONE: DEMO_ADMIN.phone, ADMIN_PASSWORD: DEMO_ADMIN.password });
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
    const expect = (what: string, res: { status: number; body: unknown }, ...ok: number[]) => {
      if (!ok.includes(res.status)) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as any;
    };
    const login = async (phone: string, password: string) => expect(`login ${phone}`, await call('POST', '/v1/auth/login', { phone, password }), 200).accessToken as string;
    const user = async (phone: string, password: string): Promise<{ token: string; id: string }> => {
      const reg = await call('POST', '/v1/auth/register', { phone, password });
      const token = reg.status === 201 ? (reg.body.accessToken as string) : await login(phone, password);
      const me = expect('me', await call('GET', '/v1/me', undefined, token), 200);
      return { token, id: me.id as string };
    };

    const admin = await login(config.ADMIN_PHONE!, config.ADMIN_PASSWORD!);
    const operator = await user(OPERATOR.phone, OPERATOR.password);
    const existing = expect('billers', await call('GET', '/v1/admin/organizations?kind=BILLER', undefined, admin), 200) as { id: string; name: string }[];
    const citizen = await user(CITIZEN.phone, CITIZEN.password);
    expect('real name', await call('POST', '/v1/me/real-name', { fullName: CITIZEN.fullName, idType: 'PRC_ID', idNumber: CITIZEN.idNumber }, citizen.token), 200, 409);

    const period = shanghaiDay(new Date()).slice(0, 7);
    const due = `${period}-28`;
    const lines: string[] = [];
    for (const b of BILLERS) {
      const { prefix, base, ...org } = b;
      const id = existing.find((e) => e.name === b.name)?.id ?? expect(`biller ${b.name}`, await call('POST', '/v1/admin/organizations', { kind: 'BILLER', ...org }, admin), 201).id;
      expect('operator', await call('POST', `/v1/organizations/${id}/staff`, { phone: OPERATOR.phone, role: 'ORG_OPERATOR' }, admin), 201, 200, 409);
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
        expect('link', await call('POST', '/v1/me/biller-accounts', { billerId: id, customerRef: `${prefix}000001`, alias: '家' }, citizen.token), 201, 409);
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
    const transit = await seedTransit(call, expect, admin, { token: operator.token, phone: OPERATOR.phone });
    process.stdout.write(
      [
        'City Pay demo data ready.',
        `Billers (bill operator ${OPERATOR.phone} / ${OPERATOR.password}):`,
        ...lines,
        `Demo citizen: ${CITIZEN.phone} / ${CITIZEN.password} (real-name verified, wallet topped up to at least 500.00 CNY,`,
        '  electricity TJE000001 and water TJW000001 linked: GET /v1/me/bills, then POST /v1/bills/<id>/payments).',
        ...transit,
        `Platform administrator: ${config.ADMIN_PHONE}${config.ADMIN_PHONE === DEMO_ADMIN.phone ? ` / ${DEMO_ADMIN.password}` : ''}`,
        '',
      ].join('\n'),
    );
  } finally {
    await api.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`seed:demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
