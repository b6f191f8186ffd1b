import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import { request, startApp, TEST_SECRETS, type HttpResult, type TestApp } from '../support/app.js';
import { freshDatabase } from '../support/database.js';
import { buildOnce, type Child, childEnv, freePort, loadedModules, packageOf, runNode, SERVER, waitReady } from '../support/process.js';

/**
 * `npm start` runs dist/server/main.js: the compiled API and the packages it
 * imports bundled into one file (scripts/bundle-server.mjs), because loading
 * some 2,800 module files one by one was most of a start. The in-process
 * suites import the unbundled dist/; this checks the bundle is the same server.
 */

/** Packages the bundle carries: none of their files may be loaded from node_modules (a second copy). */
const BUNDLED = ['@nestjs/core', '@nestjs/common', '@nestjs/swagger', '@nestjs/typeorm', 'typeorm', 'rxjs', 'fastify', 'class-validator', 'class-transformer', 'es-toolkit', 'pg-boss', 'jose'];

/** What a response says, without what differs between two servers (ids, times, request ids). */
function shape(res: HttpResult): unknown {
  const body = res.body as Record<string, unknown> | string;
  if (typeof body !== 'object' || body === null) return { status: res.status };
  return { status: res.status, code: body.code, details: body.details, keys: Object.keys(body).sort() };
}

describe('the bundled server that npm start runs', () => {
  let server: Child;
  let bundled: string;
  let unbundled: TestApp;

  beforeAll(async () => {
    buildOnce();
    // both on one database (as two replicas would be): the per-worker test database is one
    const { url } = await freshDatabase();
    const port = await freePort();
    server = runNode(SERVER, childEnv({ PORT: String(port), DATABASE_URL: url, ...TEST_SECRETS }));
    bundled = `http://127.0.0.1:${port}`;
    await waitReady(port, 60_000);
    unbundled = await startApp({}, { databaseUrl: url });
  }, 120_000);

  afterAll(async () => {
    server?.proc.kill('SIGTERM');
    await server?.exited();
    await unbundled?.close();
  });

  it('serves the same OpenAPI document as the unbundled server (every decorator read the same metadata)', async () => {
    const [a, b] = await Promise.all([request(bundled, 'GET', '/docs-json'), unbundled.request('GET', '/docs-json')]);
    expect(a.status).toBe(200);
    expect(Object.keys((a.body as { paths: object }).paths).length).toBeGreaterThan(40);
    expect(a.body).toEqual(b.body);
  });

  it('validates, refuses and answers as the unbundled server does', async () => {
    const users = [0, 1].map((i) => ({ phone: `+861380000123${i}`, password: 'correct horse battery', displayName: 'Bundle Check' }));
    const cases = (user: (typeof users)[number]): [string, string, Record<string, unknown>?, string?][] => [
      ['POST', '/v1/auth/register', { phone: 'not a phone', password: 'x' }],
      ['POST', '/v1/auth/register', { ...user, extra: true }],
      ['POST', '/v1/auth/register', user],
      ['POST', '/v1/auth/register', user],
      ['POST', '/v1/auth/login', { phone: user.phone, password: 'wrong password here' }],
      ['GET', '/v1/me'],
      ['GET', '/v1/me', undefined, 'not-a-token'],
      ['POST', '/v1/bills/00000000-0000-4000-8000-000000000000/payments', { amount: null, method: 'WALLET' }, 'not-a-token'],
      ['GET', '/health/ready'],
      ['GET', '/nope-not-a-route'],
    ];
    const [forBundle, forUnbundled] = [cases(users[0]), cases(users[1])];
    for (let i = 0; i < forBundle.length; i++) {
      const [method, path, body, token] = forBundle[i];
      const [, , otherBody, otherToken] = forUnbundled[i];
      const a = await request(bundled, method, path, { body, token });
      const b = await unbundled.request(method, path, { body: otherBody, token: otherToken });
      expect({ method, path, ...(shape(a) as object) }).toEqual({ method, path, ...(shape(b) as object) });
    }
    const user = users[0];
    const login = await request(bundled, 'POST', '/v1/auth/login', { body: { phone: user.phone, password: user.password } });
    expect(login.status).toBe(200);
    const me = await request(bundled, 'GET', '/v1/me', { token: (login.body as { accessToken: string }).accessToken });
    expect(me.status).toBe(200);
    expect(me.text).toContain(user.phone);
  });

  it('loads no second copy of a package it carries, and no provider SDK at start', async () => {
    // a DATABASE_URL nobody answers: the server stays in its start-up retries while it is listed
    const env = childEnv({ PORT: String(await freePort()), DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', ...TEST_SECRETS });
    const files = await loadedModules(resolve(SERVER), env);
    const packages = new Set(files.map(packageOf).filter(Boolean));
    // the lister sees what the bundle leaves outside (a broken lister would pass vacuously)
    expect([...packages]).toEqual(expect.arrayContaining(['pino', 'pg']));
    expect(files.some((f) => f.endsWith('/dist/server/main.js'))).toBe(true);
    expect(BUNDLED.filter((p) => packages.has(p))).toEqual([]);
    expect(['alipay-sdk', 'urllib', 'undici'].filter((p) => packages.has(p))).toEqual([]);
    process.stdout.write(`the bundled server loads ${files.length} module files at start\n`);
  }, 90_000);
});
