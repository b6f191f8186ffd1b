import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, type TestApp } from '../support/app.js';

/**
 * The rules the API process follows when it serves the web app: hashed
 * assets cached for a year, index.html revalidated, an SPA fallback for
 * pages that never shadows the API's own prefixes (their JSON 404s stay).
 */
describe('web app serving', () => {
  let app: TestApp;
  let dir: string;
  const html = { accept: 'text/html,application/xhtml+xml' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><html lang="zh-CN"><title>城市支付</title><div id="root"></div></html>');
    writeFileSync(join(dir, 'assets', 'index-AbC123xy.js'), 'console.log("app")');
    writeFileSync(join(dir, 'assets', 'index-AbC123xy.js.gz'), gzipSync('console.log("app")'));
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = await startApp({ WEB_DIR: dir });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / and for client routes, not cached', async () => {
    for (const path of ['/', '/wallet', '/bills/123/receipt', '/operator/billers/x?tab=upload', '/index.html']) {
      const res = await app.request('GET', path, { headers: html });
      expect([path, res.status]).toEqual([path, 200]);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.text).toContain('<div id="root">');
    }
  });

  it('caches hashed assets for a year; other files are revalidated', async () => {
    const asset = await app.request('GET', '/assets/index-AbC123xy.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const icon = await app.request('GET', '/favicon.svg', { headers: { accept: 'image/*' } });
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('sends the precompressed asset to a client that accepts gzip, with the same cache rule', async () => {
    const res = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const url = new URL('/assets/index-AbC123xy.js', app.baseUrl);
      httpRequest(url, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ headers: r.headers, body: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(gunzipSync(res.body).toString()).toBe('console.log("app")');
  });

  it('answers a missing asset or a non-HTML request with the JSON 404', async () => {
    const asset = await app.request('GET', '/assets/missing-123.js', { headers: html });
    expect(asset.status).toBe(404);
    expect(asset.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    const json = await app.request('GET', '/wallet', { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(json.body).toMatchObject({ code: 'NOT_FOUND' });
    const post = await app.request('POST', '/wallet', { headers: html, body: {} });
    expect(post.status).toBe(404);
  });

  it('never shadows /v1, /docs, /health, /metrics or /sandbox', async () => {
    for (const path of ['/v1/nothing-here', '/v1', '/docs/nothing-here', '/health/nothing', '/metrics/x', '/sandbox/ALIPAY/nothing']) {
      const res = await app.request('GET', path, { headers: html });
      expect([path, res.status]).toEqual([path, 404]);
      expect([path, res.body?.code]).toEqual([path, 'NOT_FOUND']);
    }
    // and their real routes still answer as before
    expect((await app.request('GET', '/health/live', { headers: html })).status).toBe(200);
    expect((await app.request('GET', '/v1/me', { headers: html })).status).toBe(401);
    const docs = await app.request('GET', '/docs-json', { headers: html });
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('"openapi"');
    const yaml = await app.request('GET', '/docs-yaml', { headers: html });
    expect(yaml.status).toBe(200);
    expect(yaml.text).toMatch(/^openapi: /m);
    const metrics = await app.request('GET', '/metrics', { headers: html });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    // a prefix reserves its own segment only: the app's sandbox checkout opens in a new tab or on a reload
    const checkout = await app.request('GET', '/sandbox-checkout/ALIPAY/0123456789abcdef?return=%2Fwallet', { headers: html });
    expect(checkout.status).toBe(200);
    expect(checkout.headers.get('content-type')).toMatch(/^text\/html/);
  });
});
