import { beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
// the sandbox gateway plays Alipay here (spec-only deep import: the lib's index does not export gateways)
import { AlipaySandboxGateway } from '@app/provider-sandbox';
import type { GatewaySecrets, KeyPair, OutgoingNotification, SandboxTrade } from '@app/provider-sandbox';
import { NotificationRejectedError } from '../provider/payment-provider.js';
import { AlipayAdapter } from './alipay.adapter.js';

const newKeyPair = async (): Promise<KeyPair> =>
  promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

const gateway = new AlipaySandboxGateway();
let merchant: Record<string, unknown>;
let secrets: GatewaySecrets;
let adapter: AlipayAdapter;

const trade = (over: Partial<SandboxTrade> = {}): SandboxTrade => ({
  provider: 'ALIPAY',
  outTradeNo: randomBytes(16).toString('hex'),
  tradeNo: '2026120122001400001234567890',
  merchantId: secrets.appId,
  amount: 1234n,
  currency: 'CNY',
  subject: 'Water bill',
  notifyUrl: 'http://127.0.0.1:4010/v1/providers/ALIPAY/notifications',
  status: 'PAID',
  refunded: 0n,
  expiresAt: new Date(Date.now() + 3600_000),
  createdAt: new Date('2026-05-01T02:00:00Z'),
  paidAt: new Date('2026-05-01T02:03:04Z'),
  ...over,
});

const parse = (n: OutgoingNotification | undefined) => () =>
  adapter.parseNotification({ path: '/v1/providers/ALIPAY/notifications', rawBody: Buffer.from(n!.body, 'utf8'), headers: n!.headers });

beforeAll(async () => {
  const account = await gateway.provision(newKeyPair);
  merchant = account.merchant;
  secrets = account.gateway;
  adapter = new AlipayAdapter(merchant, (u) => `http://127.0.0.1:4010${u}`);
}, 60_000); // RSA key generation on a loaded machine

describe('Alipay notifications', () => {
  it('carry the fields of a real trade_status_sync (seller_id, auth_app_id, buyer_id, invoice_amount, buyer_pay_amount, fund_bill_list)', () => {
    const params = Object.fromEntries(new URLSearchParams(gateway.notification(trade(), secrets, {}).body));
    expect(params).toMatchObject({
      seller_id: merchant.sellerId,
      auth_app_id: secrets.appId,
      buyer_id: expect.stringMatching(/^2088\d{12}$/),
      total_amount: '12.34',
      receipt_amount: '12.34',
      invoice_amount: '12.34',
      buyer_pay_amount: '12.34',
    });
    expect(JSON.parse(params.fund_bill_list)).toEqual([{ amount: '12.34', fundChannel: 'ALIPAYACCOUNT' }]);
    expect(merchant.sellerId).toMatch(/^2088\d{12}$/);
  });

  it('accepts a notification for our seller', () => {
    expect(parse(gateway.notification(trade(), secrets, {}))()).toMatchObject({ status: 'SUCCEEDED', amount: 1234n, merchantId: secrets.appId });
  });

  it("refuses a correctly signed notification whose seller_id is not ours (Alipay's advice)", () => {
    expect(parse(gateway.notification(trade(), { ...secrets, sellerId: '2088000000000009' }, {}))).toThrow(NotificationRejectedError);
    expect(parse(gateway.notification(trade(), { ...secrets, sellerId: '2088000000000009' }, {}))).toThrow(/seller_id/);
  });

  it('refuses credentials without the seller id, naming it', () => {
    expect(() => new AlipayAdapter({ ...merchant, sellerId: '' }, (u) => u)).toThrow(/sellerId/);
  });

  it('fills the seller id of a sandbox account opened before seller ids were issued, as the gateway notifies it', () => {
    const { sellerId: _dropped, ...old } = merchant;
    const { sellerId: _gone, ...oldSecrets } = secrets;
    const filled = gateway.merchantCredentials(old, oldSecrets);
    const n = gateway.notification(trade(), oldSecrets, {});
    expect(Object.fromEntries(new URLSearchParams(n.body)).seller_id).toBe(filled.sellerId);
    expect(() => new AlipayAdapter(filled, (u) => u).parseNotification({ path: '/', rawBody: Buffer.from(n.body), headers: n.headers })).not.toThrow();
  });
});
