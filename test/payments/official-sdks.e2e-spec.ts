import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, createSign, createVerify, randomBytes } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WxPay from 'wechatpay-node-v3';
import { SandboxKeysService } from '@app/provider-sandbox';
import { startApp, type TestApp } from '../support/app.js';
import { eventually, shanghaiToday } from '../support/payments.js';

/**
 * The sandbox gateways driven by the providers' maintained npm clients,
 * unmodified, with the sandbox as their gateway: if the sandbox's wire
 * format drifts from the real one (signed path, fields, notifications),
 * these clients fail here as they would against the real provider.
 */

/** A notify URL that records what the gateway POSTs to it (the merchant's side, played by the test). */
async function notifyReceiver(): Promise<{ url: string; received: { headers: Record<string, string>; body: string }[]; close: () => Promise<void> }> {
  const received: { headers: Record<string, string>; body: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body: Buffer.concat(chunks).toString('utf8') });
      // WeChat Pay wants 2xx; Alipay wants the text "success"
      res.writeHead(200, { 'content-type': 'text/plain' }).end('success');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/notify`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let app: TestApp;
let credentials: Record<string, Record<string, any>>;
let receiver: Awaited<ReturnType<typeof notifyReceiver>>;

beforeAll(async () => {
  app = await startApp();
  credentials = await app.api.app.get(SandboxKeysService).merchantCredentials();
  receiver = await notifyReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await app?.close();
});

const outTradeNo = (): string => `sdk${Date.now()}${randomBytes(4).toString('hex')}`;

describe('WeChat Pay v3 through wechatpay-node-v3', () => {
  const REAL = 'https://api.mch.weixin.qq.com';
  let pay: WxPay;
  let gateway: string;
  const answers: { status: number; headers: Headers; text: string }[] = [];

  beforeAll(() => {
    const m = credentials.WECHAT_PAY;
    gateway = `${app.baseUrl}${m.gateway}`;
    pay = new WxPay({
      appid: m.appId,
      mchid: m.mchId,
      serial_no: m.merchantSerialNo,
      publicKey: Buffer.from(m.platformPublicKeys[0].publicKey),
      privateKey: Buffer.from(m.privateKey),
      key: m.apiV3Key,
    });
    // the "WeChat Pay public key" mode: the key the console hands out, under its PUB_KEY_ID serial
    (WxPay as unknown as { certificates: Record<string, string> }).certificates[m.platformPublicKeys[0].serial] = m.platformPublicKeys[0].publicKey;
    // the client's own transport seam, pointed at the sandbox instead of api.mch.weixin.qq.com (what it signs is untouched)
    const send = async (url: string, init: RequestInit) => {
      const res = await fetch(url.replace(REAL, gateway), init);
      const text = await res.text();
      answers.push({ status: res.status, headers: res.headers, text });
      const json = (res.headers.get('content-type') ?? '').includes('json') && text !== '';
      return { status: res.status, data: json ? JSON.parse(text) : text };
    };
    pay.createHttp({
      post: (url, params, headers) => send(url, { method: 'POST', headers, body: JSON.stringify(params) }),
      get: (url, headers) => send(url, { method: 'GET', headers }),
      upload: () => Promise.reject(new Error('not used')),
    });
  });

  const lastAnswerVerifies = async (): Promise<boolean> => {
    const a = answers.at(-1)!;
    return pay.verifySign({
      timestamp: a.headers.get('wechatpay-timestamp')!,
      nonce: a.headers.get('wechatpay-nonce')!,
      serial: a.headers.get('wechatpay-serial')!,
      signature: a.headers.get('wechatpay-signature')!,
      body: a.text,
    });
  };

  it('native order, query, payment callback verified and decrypted by the client', async () => {
    const no = outTradeNo();
    const created = await pay.transactions_native({ description: 'SDK water bill', out_trade_no: no, notify_url: receiver.url, amount: { total: 1234 } });
    expect(created).toMatchObject({ status: 200, data: { code_url: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=/) } });
    expect(await lastAnswerVerifies()).toBe(true);

    expect(await pay.query({ out_trade_no: no })).toMatchObject({ status: 200, data: { out_trade_no: no, trade_state: 'NOTPAY' } });

    const before = receiver.received.length;
    const paid = await app.request('POST', `/sandbox/WECHAT_PAY/trades/${no}/pay`);
    expect(paid.status).toBe(200);
    const callback = await eventually(async () => receiver.received[before], 5_000, 'the WeChat Pay callback');
    const h = callback.headers;
    await expect(
      pay.verifySign({ timestamp: h['wechatpay-timestamp'], nonce: h['wechatpay-nonce'], serial: h['wechatpay-serial'], signature: h['wechatpay-signature'], body: callback.body }),
    ).resolves.toBe(true);
    const event = JSON.parse(callback.body) as { event_type: string; resource: { ciphertext: string; associated_data: string; nonce: string } };
    expect(event.event_type).toBe('TRANSACTION.SUCCESS');
    const tx = pay.decipher_gcm<Record<string, any>>(event.resource.ciphertext, event.resource.associated_data, event.resource.nonce);
    expect(tx).toMatchObject({ out_trade_no: no, trade_state: 'SUCCESS', amount: { total: 1234, payer_total: 1234, currency: 'CNY' } });
  });

  it('a failed payment sends no callback; the query says PAYERROR with payer_total 0', async () => {
    const no = outTradeNo();
    expect((await pay.transactions_native({ description: 'SDK fail', out_trade_no: no, notify_url: receiver.url, amount: { total: 500 } })).status).toBe(200);
    const before = receiver.received.length;
    const failed = await app.request('POST', `/sandbox/WECHAT_PAY/trades/${no}/fail`);
    expect(failed.status).toBe(200);
    expect(failed.body.notification.deliveries).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received.length).toBe(before);
    const q = await pay.query({ out_trade_no: no });
    expect(q).toMatchObject({ status: 200, data: { trade_state: 'PAYERROR', amount: { total: 500, payer_total: 0 } } });
    expect(await lastAnswerVerifies()).toBe(true);
  });

  it('trade bill: a signed /v3/billdownload/file URL the client downloads, matching its SHA1', async () => {
    const bill = await pay.tradebill({ bill_date: shanghaiToday(), bill_type: 'ALL' });
    expect(bill.status).toBe(200);
    const { download_url: url, hash_value: hash } = bill.data as { download_url: string; hash_value: string };
    expect(url).toMatch(new RegExp(`^${gateway}/v3/billdownload/file\\?token=[\\w-]+$`));
    // the URL as the client would hold it from the real gateway
    const file = await pay.downloadBill(url.replace(gateway, REAL));
    expect(file.status).toBe(200);
    expect(createHash('sha1').update(String(file.data), 'utf8').digest('hex')).toBe(hash);
    expect(String(file.data)).toContain('SDK water bill');
    // the token is the gateway's: altered, it is refused
    expect((await pay.downloadBill(url.replace(gateway, REAL).replace(/token=(.)/, (_m, c: string) => `token=${c === 'A' ? 'B' : 'A'}`))).status).toBe(400);
  });
});

describe('Alipay through alipay-sdk', () => {
  let sdk: AlipaySdk;
  beforeAll(() => {
    const m = credentials.ALIPAY;
    sdk = new AlipaySdk({ appId: m.appId, privateKey: m.privateKey, alipayPublicKey: m.alipayPublicKey, gateway: `${app.baseUrl}${m.gateway}`, keyType: 'PKCS8', signType: 'RSA2' });
  });

  it('precreate, ACQ.TRADE_NOT_EXIST until the QR is scanned, a notification the client verifies with every field merchants check', async () => {
    const no = outTradeNo();
    const created = await sdk.exec('alipay.trade.precreate', { notify_url: receiver.url, bizContent: { out_trade_no: no, total_amount: '12.34', subject: 'SDK water bill' } }, { validateSign: true });
    expect(created).toMatchObject({ code: '10000', outTradeNo: no, qrCode: expect.stringMatching(/^https:\/\/qr\.alipay\.com\//) });

    // as at Alipay: a precreated trade does not exist until the buyer scans its code
    const before = await sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: no } }, { validateSign: true });
    expect(before).toMatchObject({ code: '40004', subCode: 'ACQ.TRADE_NOT_EXIST' });

    const seen = receiver.received.length;
    expect((await app.request('POST', `/sandbox/ALIPAY/trades/${no}/pay`)).status).toBe(200);
    const callback = await eventually(async () => receiver.received[seen], 5_000, 'the Alipay notification');
    const params = Object.fromEntries(new URLSearchParams(callback.body));
    expect(sdk.checkNotifySignV2(params)).toBe(true);
    expect(sdk.checkNotifySignV2({ ...params, total_amount: '0.01' })).toBe(false);
    expect(params).toMatchObject({
      app_id: credentials.ALIPAY.appId,
      auth_app_id: credentials.ALIPAY.appId,
      seller_id: credentials.ALIPAY.sellerId,
      buyer_id: expect.stringMatching(/^2088\d{12}$/),
      out_trade_no: no,
      trade_status: 'TRADE_SUCCESS',
      total_amount: '12.34',
      receipt_amount: '12.34',
      invoice_amount: '12.34',
      buyer_pay_amount: '12.34',
    });
    expect(JSON.parse(params.fund_bill_list)).toEqual([{ amount: '12.34', fundChannel: 'ALIPAYACCOUNT' }]);

    const after = await sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: no } }, { validateSign: true });
    expect(after).toMatchObject({ code: '10000', tradeStatus: 'TRADE_SUCCESS', totalAmount: '12.34' });
  });
});

describe("Alipay+ (AlipayHK) with the Antom SDKs' signing scheme", () => {
  // No maintained Antom client is on npm under a name we use; this signs exactly as Antom's SDKs do:
  // over "POST <path at the Alipay+ host>\n<Client-Id>.<Request-Time>.<body>", the base URL being the gateway
  it('a request signed over /ams/... (the path at the Alipay+ host) is accepted, and the answer verifies over the same path', async () => {
    const m = credentials.ALIPAY_HK;
    const path = `${m.clientId.startsWith('SANDBOX_') ? '/ams/sandbox/api' : '/ams/api'}/v1/payments/inquiryPayment`;
    const body = JSON.stringify({ paymentRequestId: outTradeNo() });
    const time = String(Date.now());
    const signature = createSign('RSA-SHA256').update(`POST ${path}\n${m.clientId}.${time}.${body}`).sign(m.privateKey, 'base64');
    const res = await fetch(`${app.baseUrl}${m.gateway}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=UTF-8', 'client-id': m.clientId, 'request-time': time, signature: `algorithm=RSA256,keyVersion=${m.keyVersion},signature=${encodeURIComponent(signature)}` },
      body,
    });
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ result: { resultCode: 'ORDER_NOT_EXIST' } });
    const answerSignature = decodeURIComponent(/signature=([^,]+)/.exec(res.headers.get('signature') ?? '')![1]);
    expect(
      createVerify('RSA-SHA256').update(`POST ${path}\n${m.clientId}.${res.headers.get('response-time')}.${text}`).verify(m.alipayPublicKey, answerSignature, 'base64'),
    ).toBe(true);
  });
});
