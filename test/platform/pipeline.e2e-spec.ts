import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectError, startApp, type TestApp } from '../support/app.js';
import { ProbeModule } from '../support/probe.module.js';

describe('request pipeline (api.md Conventions)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({}, { imports: [ProbeModule] });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers an unknown route with 404 NOT_FOUND in the error body', async () => {
    const res = await app.request('GET', '/v1/no/such/route');
    expectError(res, 404, 'NOT_FOUND');
  });

  it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
    for (const raw of ['{bad', '{"name": "ab",', '[1,2', '"unterminated']) {
      const res = await app.request('POST', '/probe/echo', { raw, headers: { 'content-type': 'application/json' } });
      expectError(res, 400, 'MALFORMED_JSON');
    }
  });

  it('refuses unknown fields (mass assignment) with VALIDATION_FAILED naming the field', async () => {
    const res = await app.request('POST', '/probe/echo', { body: { name: 'ok', count: 1, roles: ['PLATFORM_ADMIN'] } });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.details).toEqual([{ field: 'roles', problems: ['is not a known field'] }]);
  });

  it('lists every invalid field with its problems, nested ones by path', async () => {
    const res = await app.request('POST', '/probe/echo', { body: { name: 'x', count: 1.5, nested: { code: 7 } } });
    expectError(res, 400, 'VALIDATION_FAILED');
    const fields = (res.body.details as { field: string; problems: string[] }[]).map((d) => d.field).sort();
    expect(fields).toEqual(['count', 'name', 'nested.code']);
    for (const d of res.body.details) expect(d.problems.length).toBeGreaterThan(0);
  });

  it('does not coerce types: a string number is refused', async () => {
    const res = await app.request('POST', '/probe/echo', { body: { name: 'ok', count: '3' } });
    expectError(res, 400, 'VALIDATION_FAILED');
  });

  it('accepts a valid body and returns it transformed', async () => {
    const res = await app.request('POST', '/probe/echo', { body: { name: 'ok', count: 3, nested: { code: 'A' } } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ name: 'ok', count: 3, nested: { code: 'A' } });
  });

  it('refuses a JSON body that is not an object (array, scalar) with 400 VALIDATION_FAILED, never 500', async () => {
    for (const raw of ['[]', '42', 'null', '"text"']) {
      const res = await app.request('POST', '/probe/echo', { raw, headers: { 'content-type': 'application/json' } });
      expectError(res, 400, 'VALIDATION_FAILED');
    }
  });

  it('refuses hostile JSON with 400 MALFORMED_JSON: deep nesting, bad UTF-8, NUL, __proto__, empty', async () => {
    const json = { 'content-type': 'application/json' };
    const deep = '{"x":' + '['.repeat(3000) + ']'.repeat(3000) + '}';
    const cases: [string, string | Buffer][] = [
      ['deep nesting', deep],
      ['invalid UTF-8', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","count":1}')])],
      ['NUL in a string', '{"name":"a\\u0000b","count":1}'],
      ['__proto__ key', '{"name":"ab","count":1,"__proto__":{"admin":true}}'],
      ['constructor.prototype', '{"name":"ab","count":1,"constructor":{"prototype":{"x":1}}}'],
      ['empty body', ''],
    ];
    const wrong: string[] = [];
    for (const [name, raw] of cases) {
      const res = await app.request('POST', '/probe/echo', { raw, headers: json });
      if (res.status !== 400 || res.body.code !== 'MALFORMED_JSON') wrong.push(`${name}: ${res.status} ${res.text}`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses JSON declared in another charset with 415', async () => {
    const res = await app.request('POST', '/probe/echo', {
      raw: '{"name":"ab","count":1}',
      headers: { 'content-type': 'application/json; charset=latin1' },
    });
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers an unsupported content type with 415 and the error body', async () => {
    const res = await app.request('POST', '/probe/echo', { raw: 'name=ok', headers: { 'content-type': 'text/plain' } });
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers a body over 1 MB with 413 PAYLOAD_TOO_LARGE', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10), count: 1 });
    const res = await app.request('POST', '/probe/echo', { raw: big, headers: { 'content-type': 'application/json' } });
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('enforces the limit on chunked bodies without Content-Length too', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"name":"'));
        if (sent > 2 * 1024 * 1024) {
          controller.enqueue(new TextEncoder().encode('","count":1}'));
          controller.close();
          return;
        }
        controller.enqueue(chunk);
        sent += chunk.length;
      },
    });
    const res = await fetch(app.baseUrl + '/probe/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    const body = (await res.json()) as { code: string };
    expect(res.status).toBe(413);
    expect(body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('holds requests no route matched to the same limit', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) });
    const res = await app.request('POST', '/probe/no-such-route', { raw: big, headers: { 'content-type': 'application/json' } });
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    const small = await app.request('POST', '/probe/no-such-route', { body: { name: 'x' } });
    expectError(small, 404, 'NOT_FOUND');
  });

  it('lets a route raise its own limit (@BodyLimit) but still caps it', async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => `item-${i}-${'y'.repeat(90)}`);
    const ok = await app.request('POST', '/probe/bulk', { body: { items } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ count: 20_000 });
    const tooMany = Array.from({ length: 45_000 }, (_, i) => `item-${i}-${'y'.repeat(90)}`);
    const res = await app.request('POST', '/probe/bulk', { body: { items: tooMany } });
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('turns an unexpected error into 500 INTERNAL_ERROR with a correlation id, never the stack', async () => {
    const res = await app.request('GET', '/probe/crash', { headers: { 'x-request-id': 'probe-correlation-0001' } });
    expectError(res, 500, 'INTERNAL_ERROR');
    expect(res.text).not.toContain('boom');
    expect(res.text).not.toContain('/srv/app.ts');
    expect(res.headers.get('x-request-id')).toBe('probe-correlation-0001');
    expect(res.body.message).toContain('probe-correlation-0001');
    const logged = app.logs.find((l) => l.reqId === 'probe-correlation-0001' && l.level === 'error');
    expect(logged).toBeDefined();
    expect(JSON.stringify(logged)).toContain('boom');
  });

  it('never leaks SQL from a database error, and keeps bound values out of the log', async () => {
    const res = await app.request('GET', '/probe/sql');
    expectError(res, 500, 'INTERNAL_ERROR');
    expect(res.text).not.toMatch(/SELECT|table_that_does_not_exist|secret/i);
    const logged = JSON.stringify(app.logs);
    expect(logged).toContain('table_that_does_not_exist'); // the error itself is logged...
    expect(logged).not.toContain('hunter2-bound-value'); // ...without the values bound to it
  });

  it('answers a value the database cannot take with 400, not 500', async () => {
    const res = await app.request('GET', '/probe/cast?value=not-a-number');
    expectError(res, 400, 'VALIDATION_FAILED');
  });

  it('maps a DomainError to its own code and status', async () => {
    const res = await app.request('GET', '/probe/domain');
    expectError(res, 422, 'PROBE_REFUSED');
    expect(res.body.message).toBe('The probe refuses');
  });

  it('gives every response a request id, generating one when the caller sent none or a bad one', async () => {
    const a = await app.request('GET', '/health/live');
    const b = await app.request('GET', '/health/live', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('redacts authorization headers, passwords, secrets and ID numbers in logs', async () => {
    const res = await app.request('POST', '/probe/secrets', {
      body: { password: 'hunter2-password', idNumber: '11010519491231002X' },
      headers: { authorization: 'Bearer very-secret-token', 'x-device-signature': 'abcdef0123', 'x-request-id': 'probe-redact-0001' },
    });
    expect(res.status).toBe(204);
    const text = JSON.stringify(app.logs);
    expect(text).not.toContain('hunter2-password');
    expect(text).not.toContain('11010519491231002X');
    expect(text).not.toContain('very-secret-token');
    expect(text).not.toContain('abcdef0123');
    expect(text).not.toContain('device-secret-value');
    await new Promise((r) => setTimeout(r, 50)); // pino-http logs on the response's 'finish'
    // the request line names the request, never its headers or body
    const requestLine = app.logs.find((l) => l.reqId === 'probe-redact-0001' && l.msg === 'request completed');
    expect(requestLine).toMatchObject({ req: { method: 'POST', url: '/probe/secrets' }, res: { statusCode: 204 } });
    // a log written while handling the request carries its id, with secrets censored
    const handlerLine = app.logs.find((l) => l.msg === 'probe secrets');
    expect(handlerLine).toMatchObject({
      reqId: 'probe-redact-0001',
      user: { password: '[REDACTED]', idNumber: '[REDACTED]' },
      secret: '[REDACTED]',
      req: { headers: { authorization: '[REDACTED]' } },
    });
  });
});
