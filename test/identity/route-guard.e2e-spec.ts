import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, type TestApp } from '../support/app.js';

/**
 * Fail closed: every route the app serves answers an anonymous caller with
 * 401, except the ones listed here as public on purpose. A new route that
 * forgot its guard, or a new @Public() route, fails this test.
 */
const PUBLIC = new Set([
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  'POST /v1/auth/register',
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  // providers post here; their signature is checked instead
  'POST /v1/providers/:provider/notifications',
  // the JWKS that POS terminals verify card codes with (api.md: anyone)
  'GET /v1/campus/keys',
  // the public keys readers verify ride codes with, offline
  'GET /v1/transit/keys',
]);
/** Served by @fastify/static for the OpenAPI UI, outside Nest's guards by design. */
const DOCS = /^\/docs(-json|-yaml)?(\/|$)/;
/** The provider sandbox stands for the outside world (gateways and payers); mounted only with PAYMENT_PROVIDERS=sandbox. */
const SANDBOX = /^\/sandbox\//;
/** The web app's files and pages (@fastify/static wildcard when it is built), public by design: test/web. */
const WEB = /^\/\*$/;

describe('route guard audit', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers every non-public route 401 without credentials', async () => {
    const routes = app.api.routes.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS' && !DOCS.test(r.url) && !SANDBOX.test(r.url) && !WEB.test(r.url));
    expect(routes.length).toBeGreaterThan(15);
    const open: string[] = [];
    const publicSeen = new Set<string>();
    for (const route of routes) {
      const key = `${route.method} ${route.url}`;
      const path = route.url.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000').replace(/\*$/, 'x');
      const res = await app.request(route.method, path, route.method === 'GET' ? {} : { body: {} });
      if (PUBLIC.has(key)) {
        publicSeen.add(key);
        continue;
      }
      if (res.status !== 401) open.push(`${key} -> ${res.status}`);
    }
    expect(open).toEqual([]);
    expect([...publicSeen].sort()).toEqual([...PUBLIC].sort());
  });

  it('treats public routes as public: they do not answer 401', async () => {
    for (const key of PUBLIC) {
      const [method, path] = key.split(' ');
      const res = await app.request(method, path, method === 'GET' ? {} : { body: {} });
      expect([key, res.status === 401]).toEqual([key, false]);
    }
  });
});
