import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { expectError, startApp, type TestApp } from '../support/app.js';

/** Sends raw bytes and returns the raw HTTP response. */
function raw(baseUrl: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let out = '';
    socket.on('data', (d) => (out += d.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve(out);
    });
  });
}

function jsonBodyOf(response: string): { statusCode: number; code: string; message: string } {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { statusCode: number; code: string; message: string };
}

describe('errors raised below Nest still get the api.md body', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a URL that does not decode: 400 with the error body', async () => {
    const res = await app.request('GET', '/%zz');
    expectError(res, 400, 'BAD_REQUEST');
  });

  it('malformed HTTP (bad Content-Length, both length headers): 400 with the error body', async () => {
    for (const request of [
      'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ]) {
      const response = await raw(app.baseUrl, request);
      expect(response.startsWith('HTTP/1.1 400')).toBe(true);
      expect(jsonBodyOf(response)).toMatchObject({ statusCode: 400, code: 'BAD_REQUEST' });
    }
  });

  it('oversized headers: 431 with the error body', async () => {
    const response = await raw(app.baseUrl, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(response.startsWith('HTTP/1.1 431')).toBe(true);
    expect(jsonBodyOf(response)).toMatchObject({ statusCode: 431, code: 'HEADERS_TOO_LARGE' });
  });

  it('an Expect header other than 100-continue: 417 with the error body', async () => {
    const response = await raw(app.baseUrl, 'GET /health/live HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nConnection: close\r\n\r\n');
    expect(response.startsWith('HTTP/1.1 417')).toBe(true);
    expect(jsonBodyOf(response)).toMatchObject({ statusCode: 417, code: 'EXPECTATION_FAILED' });
  });
});

describe('shutdown', () => {
  it('does not wait for idle keep-alive clients, and stops within the grace period despite a half-sent request', async () => {
    const app = await startApp({ SHUTDOWN_GRACE_MS: '1500' });
    // a keep-alive client that made one request and stays connected
    const { hostname, port } = new URL(app.baseUrl);
    const keepAlive = connect(Number(port), hostname);
    await new Promise<void>((r) => keepAlive.on('connect', () => r()));
    keepAlive.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => keepAlive.once('data', r));
    // a client that never finishes its request
    const halfSent = connect(Number(port), hostname);
    await new Promise<void>((r) => halfSent.on('connect', () => r()));
    halfSent.write('GET /health/live HTTP/1.1\r\nHost: x\r\n');

    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(5000);
    keepAlive.destroy();
    halfSent.destroy();
  });
});
