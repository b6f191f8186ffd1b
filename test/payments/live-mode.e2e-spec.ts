import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, expectError, type TestApp } from '../support/app.js';
import { verifiedUser } from '../support/factories.js';
import { idemKey } from '../support/payments.js';

/** PAYMENT_PROVIDERS=live: no sandbox, the providers (and only those) of PAYMENT_CREDENTIALS_FILE. */
describe('live provider mode', () => {
  let app: TestApp;

  beforeAll(async () => {
    const pem = (k: { publicKey: string; privateKey: string }) => k;
    const app_ = pem(generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }));
    const alipay = pem(generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }));
    const file = join(mkdtempSync(join(tmpdir(), 'citypay-')), 'providers.json');
    // a gateway nobody listens on: the provider is unreachable
    writeFileSync(file, JSON.stringify({ ALIPAY: { gateway: 'http://127.0.0.1:9/gateway.do', appId: '2021000000000001', sellerId: '2088000000000001', privateKey: app_.privateKey, alipayPublicKey: alipay.publicKey } }));
    app = await startApp({ PAYMENT_PROVIDERS: 'live', PAYMENT_CREDENTIALS_FILE: file, PAYMENT_QUERY_INTERVAL_MS: '3600000' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('serves no sandbox', async () => {
    expect((await app.request('POST', '/sandbox/ALIPAY/faults', { body: { notifications: 'DROP' } })).status).toBe(404);
    expect(app.api.routes.some((r) => r.url.startsWith('/sandbox'))).toBe(false);
  });

  it('offers only the configured providers, and answers 502 when one is unreachable', async () => {
    const user = await verifiedUser(app);
    const topUp = (provider: string) =>
      app.request('POST', '/v1/wallet/top-ups', { token: user.accessToken, headers: { 'idempotency-key': idemKey() }, body: { amount: 100, currency: 'CNY', provider } });
    expectError(await topUp('WECHAT_PAY'), 422, 'PROVIDER_NOT_AVAILABLE');
    expectError(await topUp('ALIPAY'), 502, 'PROVIDER_UNAVAILABLE');
  });
});
