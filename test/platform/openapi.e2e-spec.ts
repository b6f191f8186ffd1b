import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { CONTRACT_ERRORS } from '../../apps/api/src/openapi/contract-errors.js';
import { SUMMARIES } from '../../apps/api/src/openapi/summaries.js';
import { startApp, type TestApp } from '../support/app.js';
import { registerUser, verifiedUser } from '../support/factories.js';
import { clientTypes, typeCheck } from '../support/openapi-client.js';

/**
 * The OpenAPI document is the reference a client is generated from: valid
 * OpenAPI 3, every route the server serves documented (summary, 2xx body,
 * its error statuses with the api.md error body and codes), Idempotency-Key
 * on every [idem] route, the device HMAC as a security scheme, integer money;
 * and a client generated from it type-checks against real answers.
 */

/** Served by @fastify/static for the OpenAPI UI itself. */
const DOCS = /^\/docs(-json|-yaml)?(\/|$)/;
/** The web app's files (@fastify/static wildcard), not API operations. */
const WEB = /^\/\*$/;
/**
 * The sandbox gateways speak each provider's own wire protocol (documented by
 * Alipay, WeChat Pay, UnionPay, Alipay+, whose SDKs call them): not ours to
 * describe. The sandbox's own routes (/sandbox/:provider/...) are documented.
 */
const PROVIDER_WIRE = /^\/sandbox\/(alipay|wechat-pay|unionpay|alipay-hk)\//;

/** api.md's [idem] routes. */
const IDEMPOTENT = [
  'POST /v1/wallet/top-ups',
  'POST /v1/bills/{billId}/payments',
  'POST /v1/transit/scan-to-pay',
  'POST /v1/transit/arrears/pay',
  'POST /v1/campus/cards/{cardId}/top-ups',
  'POST /v1/campus/charges',
  'POST /v1/campus/{universityId}/subsidies',
  'POST /v1/campus/charges/{chargeId}/refunds',
];

/** Device-signed routes (api.md: BUS_READER / POS devices). */
const DEVICE_ROUTES = ['GET /v1/devices/me', 'POST /v1/transit/taps', 'GET /v1/transit/blocklist', 'POST /v1/campus/charges', 'POST /v1/campus/offline-charges'];

type Doc = Record<string, any>;

/** A node child process, awaited without blocking the event loop (the app's timers and pg-boss keep running). */
async function node(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

function walk(node: unknown, visit: (key: string, value: Record<string, any>) => void, key = ''): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit, key));
  else if (node && typeof node === 'object') {
    visit(key, node as Record<string, any>);
    for (const [k, v] of Object.entries(node)) walk(v, visit, k === 'properties' ? '' : k);
  }
}

describe('OpenAPI document', () => {
  let app: TestApp;
  let doc: Doc;

  beforeAll(async () => {
    app = await startApp();
    const res = await app.request('GET', '/docs-json');
    expect(res.status).toBe(200);
    doc = res.body as Doc;
    if (process.env.OPENAPI_DUMP) writeFileSync(process.env.OPENAPI_DUMP, JSON.stringify(doc, null, 2));
  });
  afterAll(async () => {
    await app?.close();
  });

  const op = (method: string, path: string): Doc | undefined => doc.paths[path]?.[method.toLowerCase()];

  it('is a valid OpenAPI 3 document (@apidevtools/swagger-parser)', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    // in its own process: @apidevtools/swagger-parser loads ES modules with require(), which Jest's module system refuses
    const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
    try {
      writeFileSync(join(dir, 'doc.json'), JSON.stringify(doc));
      const script = "require('@apidevtools/swagger-parser').validate(process.argv[1]).then(() => console.log('valid'), (e) => { console.error(e.message); process.exit(1); })";
      const run = await node(['-e', script, join(dir, 'doc.json')]);
      expect({ stderr: run.stderr, stdout: run.stdout.trim() }).toEqual({ stderr: '', stdout: 'valid' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('documents every route the server serves: summary, 2xx body, error statuses with the error body and codes', () => {
    const served = app.api.routes
      .filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS')
      .filter((r) => !DOCS.test(r.url) && !WEB.test(r.url) && !PROVIDER_WIRE.test(r.url));
    expect(served.length).toBeGreaterThan(80);
    const problems: string[] = [];
    for (const route of served) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const name = `${route.method} ${path}`;
      const o = op(route.method, path);
      if (!o) {
        problems.push(`${name}: not documented`);
        continue;
      }
      if (!o.summary) problems.push(`${name}: no summary`);
      const statuses = Object.keys(o.responses ?? {});
      const ok = statuses.filter((s) => /^2\d\d$/.test(s));
      if (ok.length !== 1) problems.push(`${name}: ${ok.length} success statuses`);
      for (const s of ok) {
        const content = o.responses[s].content as Doc | undefined;
        const schema = content && (Object.values(content)[0] as Doc).schema;
        if (s !== '204' && !schema) problems.push(`${name}: ${s} has no body schema`);
      }
      const errors = statuses.filter((s) => /^4\d\d$/.test(s));
      if (!errors.includes('429')) problems.push(`${name}: no 429`);
      const isPublic = Array.isArray(o.security) && o.security.length === 0;
      if (!isPublic && !errors.includes('401')) problems.push(`${name}: guarded but no 401`);
      if (!o.security) problems.push(`${name}: no security requirement`);
      for (const s of errors) {
        const schema = o.responses[s].content?.['application/json']?.schema as Doc | undefined;
        const codes = schema?.allOf?.[1]?.properties?.code?.enum as string[] | undefined;
        if (schema?.allOf?.[0]?.$ref !== '#/components/schemas/ErrorBody' || !codes?.length) problems.push(`${name}: ${s} lacks the error body or its codes`);
      }
      if (o.requestBody && !errors.includes('400')) problems.push(`${name}: takes a body but no 400`);
      if (path.includes('{') && !errors.includes('404')) problems.push(`${name}: takes an id but no 404`);
    }
    expect(problems).toEqual([]);
  });

  it('declares Idempotency-Key on every [idem] route, with its refusals, and on no other', () => {
    const declared: string[] = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Doc>)) {
      for (const [method, o] of Object.entries(item)) {
        const header = (o.parameters as Doc[] | undefined)?.find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
        if (!header) continue;
        declared.push(`${method.toUpperCase()} ${path}`);
        expect(header.required).toBe(true);
        const codes = (s: string): string[] => o.responses[s].content['application/json'].schema.allOf[1].properties.code.enum;
        expect(codes('400')).toContain('IDEMPOTENCY_KEY_REQUIRED');
        expect(codes('409')).toContain('IDEMPOTENCY_IN_PROGRESS');
        expect(codes('422')).toContain('IDEMPOTENCY_KEY_REUSED');
      }
    }
    expect(declared).toEqual(expect.arrayContaining(IDEMPOTENT));
  });

  it('declares the device HMAC as a security scheme on device routes and bearer tokens elsewhere', () => {
    expect(doc.components.securitySchemes.deviceSignature).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Device-Signature' });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const route of DEVICE_ROUTES) {
      const [method, path] = route.split(' ');
      expect({ route, security: op(method, path)?.security }).toEqual({ route, security: [{ deviceId: [], deviceTimestamp: [], deviceSignature: [] }] });
      expect(Object.keys(op(method, path)!.responses)).toContain('401');
    }
    expect(op('GET', '/v1/wallet')!.security).toEqual([{ bearer: [] }]);
    expect(op('POST', '/v1/auth/login')!.security).toEqual([]);
  });

  it('types money as integer minor units, never a float, in requests and answers', () => {
    const floats: string[] = [];
    walk(doc, (k, v) => {
      const props = v.properties as Record<string, Doc> | undefined;
      for (const [name, s] of Object.entries(props ?? {})) {
        const money = /^(amount|balance|balanceAfter|maxAmount|total|outstanding|paidAmount|fare|dailyLimit|passwordFreeLimit)$/.test(name);
        const object = s.type === 'object' || s.$ref || s.allOf || (s.type === 'array' && s.items?.type === 'object');
        if (money && s.type !== 'integer' && !object) floats.push(`${k}.${name}: ${JSON.stringify(s)}`);
      }
    });
    expect(floats).toEqual([]);
    const payBill = op('POST', '/v1/bills/{billId}/payments')!;
    const body = doc.components.schemas[String(payBill.requestBody.content['application/json'].schema.$ref).split('/').pop()!];
    expect(body.properties.amount).toMatchObject({ type: 'integer', format: 'int64', minimum: 1, maximum: 100_000_000 });
    expect(body.properties.method.enum).toEqual(expect.arrayContaining(['WALLET', 'ALIPAY']));
    const codes = (s: string): string[] => payBill.responses[s].content['application/json'].schema.allOf[1].properties.code.enum;
    expect(codes('422')).toEqual(expect.arrayContaining(['OVERPAYMENT', 'PARTIAL_NOT_ALLOWED']));
    expect(codes('402')).toEqual(['INSUFFICIENT_FUNDS']);
    expect(codes('403')).toContain('KYC_REQUIRED');
  });

  it('documents the reconciliation date, the sandbox routes and the contract codes of every route api.md names', () => {
    const reconciliation = Object.entries(doc.paths as Record<string, Doc>).filter(([p]) => p.startsWith('/v1/admin/reconciliation'));
    expect(reconciliation.length).toBeGreaterThan(0);
    const withDate = reconciliation.flatMap(([, item]) => Object.values(item)).filter((o: Doc) => (o.parameters as Doc[] | undefined)?.some((p) => p.name === 'date') || o.requestBody);
    expect(withDate.length).toBe(reconciliation.flatMap(([, item]) => Object.values(item)).length);
    expect(op('POST', '/sandbox/{provider}/trades/{tradeId}/pay')).toBeDefined();
    expect(op('GET', '/sandbox/{provider}/settlements/{date}')!.responses['200'].content['text/csv']).toBeDefined();
    for (const route of Object.keys(SUMMARIES)) {
      const [method, path] = route.split(' ');
      expect({ route, documented: Boolean(op(method, path)) }).toEqual({ route, documented: true });
    }
    for (const [route, errors] of Object.entries(CONTRACT_ERRORS)) {
      const [method, path] = route.split(' ');
      const o = op(method, path);
      expect({ route, documented: Boolean(o) }).toEqual({ route, documented: true });
      for (const [status, code] of errors) {
        expect({ route, status, codes: o!.responses[String(status)]?.content['application/json'].schema.allOf[1].properties.code.enum }).toEqual({
          route,
          status,
          codes: expect.arrayContaining([code]),
        });
      }
    }
  });

  it('is generated from the current route handlers (npm run openapi:generate -- --check)', async () => {
    const check = await node(['scripts/openapi-generate.mjs', '--check']);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
  }, 120_000);

  it('a client generated from it type-checks against real answers of the API', async () => {
    const user = await registerUser(app);
    const citizen = await verifiedUser(app);
    const calls: [string, string, unknown][] = [];
    const record = async (operationId: string, status: number, method: string, path: string, opts: Parameters<TestApp['request']>[2] = {}): Promise<Doc> => {
      const res = await app.request(method, path, opts);
      expect({ operationId, status: res.status }).toEqual({ operationId, status });
      calls.push([operationId, String(status), res.body]);
      if (opts.body !== undefined) calls.push([operationId, 'requestBody', opts.body]);
      return res.body as Doc;
    };
    const me = `/v1/me`;
    const meOp = op('GET', me)!.operationId as string;
    await record(meOp, 200, 'GET', me, { token: user.accessToken });
    await record(op('GET', '/v1/wallet')!.operationId, 200, 'GET', '/v1/wallet', { token: citizen.accessToken });
    await record(op('GET', '/v1/wallet/transactions')!.operationId, 200, 'GET', '/v1/wallet/transactions', { token: citizen.accessToken });
    await record(op('GET', '/v1/billers')!.operationId, 200, 'GET', '/v1/billers', { token: citizen.accessToken });
    const topUp = op('POST', '/v1/wallet/top-ups')!.operationId as string;
    const order = await record(topUp, 201, 'POST', '/v1/wallet/top-ups', {
      token: citizen.accessToken,
      headers: { 'idempotency-key': randomUUID() },
      body: { amount: 1000, currency: 'CNY', provider: 'ALIPAY' },
    });
    await record(op('POST', '/sandbox/{provider}/trades/{tradeId}/pay')!.operationId, 200, 'POST', `/sandbox/ALIPAY/trades/${order.checkout.providerTradeId}/pay`);
    await record(op('GET', '/v1/payment-orders/{id}')!.operationId, 200, 'GET', `/v1/payment-orders/${order.id}`, { token: citizen.accessToken });
    await record(topUp, 403, 'POST', '/v1/wallet/top-ups', { token: user.accessToken, headers: { 'idempotency-key': randomUUID() }, body: { amount: 1000, currency: 'CNY', provider: 'ALIPAY' } });
    await record(meOp, 401, 'GET', me);
    await record(op('GET', '/v1/payment-orders/{id}')!.operationId, 404, 'GET', `/v1/payment-orders/${randomUUID()}`, { token: user.accessToken });

    const source = [
      ...calls.map(([id, slot, value], i) =>
        slot === 'requestBody'
          ? `export const c${i}: operations[${JSON.stringify(id)}]['requestBody'] = ${JSON.stringify(value)};`
          : `export const c${i}: operations[${JSON.stringify(id)}]['responses'][${slot}] = ${JSON.stringify(value)};`,
      ),
    ].join('\n');
    const types = clientTypes(doc);
    expect(typeCheck(types, source)).toEqual([]);
    // and the types are strict: a float amount, an unknown status value or a missing field are compile errors
    const wrong = [
      `export const a: operations[${JSON.stringify(topUp)}]['requestBody'] = { amount: '10', currency: 'CNY', provider: 'ALIPAY' };`,
      `export const b: operations[${JSON.stringify(topUp)}]['requestBody'] = { amount: 10, currency: 'EUR', provider: 'ALIPAY' };`,
      `export const c: operations[${JSON.stringify(meOp)}]['responses'][401] = { statusCode: 401, message: 'x' };`,
    ].join('\n');
    expect(typeCheck(types, wrong)).toHaveLength(3);
  }, 120_000);
});
