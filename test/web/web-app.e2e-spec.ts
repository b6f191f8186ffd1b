import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, randomPhone, randomPrcId, registerUser, verifiedUser } from '../support/factories.js';
import { bill, credit, fetchBill, loadBills, makeBiller, payBill } from '../support/billing.js';
import { buildWebApp, capture, launchChromium, PHONE, DESKTOP, SCREENSHOTS, stored, type AxeViolation } from '../support/browser.js';

/**
 * The web app in a real browser (Debian's chromium through playwright-core)
 * against the real server on real PostgreSQL, paying through the provider
 * sandbox. Every page visited is screenshotted at phone and desktop sizes
 * (test-results/web) and checked with axe-core.
 */
describe('web app in a browser', () => {
  let app: TestApp;
  let webDir: string;
  let browser: Browser;
  let admin: string;
  const violations: AxeViolation[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const [built, launched] = await Promise.allSettled([buildWebApp(), launchChromium()]);
    if (launched.status === 'fulfilled') browser = launched.value;
    if (built.status === 'fulfilled') webDir = built.value;
    for (const r of [built, launched]) if (r.status === 'rejected') throw r.reason;
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, PAYMENT_QUERY_INTERVAL_MS: '3600000', WEB_DIR: webDir });
    admin = await adminToken(app);
  }, 120_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await app?.close();
    if (webDir) rmSync(webDir, { recursive: true, force: true });
  });

  async function newPage(viewport = PHONE): Promise<Page> {
    const context = await browser.newContext({ baseURL: app.baseUrl, viewport, locale: 'zh-CN', serviceWorkers: 'block' });
    context.setDefaultTimeout(15_000);
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    return page;
  }

  it('a citizen registers, verifies, tops up through the sandbox checkout and pays a bill', async () => {
    violations.length = 0;
    const water = await makeBiller(app, admin, { name: '天津水务集团', billerCategory: 'WATER' });
    await loadBills(app, water, [bill('W-100', 8_800, { customerName: '李小明' }), bill('W-100', 2_350, { period: '2026-10', dueDate: '2026-11-15', customerName: '李小明' })]);
    const page = await newPage();
    const phone = randomPhone();

    // register
    await page.goto('/');
    await expect(page).toHaveURLPath('/login');
    await capture(page, '01-login', violations);
    await page.getByRole('link', { name: '注册' }).click();
    await page.getByLabel('手机号').fill(phone.slice(3)); // typed as a mainland number, without +86
    await page.getByLabel('密码', { exact: true }).fill('short');
    await page.getByRole('button', { name: '注册' }).click();
    await page.getByText('密码至少需要 8 位。').waitFor();
    await capture(page, '02-register-errors', violations);
    await page.getByLabel('密码', { exact: true }).fill('correct-horse-battery');
    await page.getByRole('button', { name: '注册' }).click();

    // real name: a wrong check digit is refused at the field, a valid number passes
    await expect(page).toHaveURLPath('/verify');
    const id = randomPrcId();
    const wrong = id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
    await page.getByLabel('真实姓名').fill('王小丫');
    await page.getByLabel('证件号码').fill(wrong);
    await page.getByRole('button', { name: '提交认证' }).click();
    await page.getByText('身份证号码校验不通过').waitFor();
    expect(await page.getByLabel('证件号码').getAttribute('aria-invalid')).toBe('true');
    await capture(page, '03-real-name-error', violations);
    await page.getByLabel('证件号码').fill(id);
    await page.getByRole('button', { name: '提交认证' }).click();

    // wallet, then a top-up paid in the sandbox's checkout the way a payer would
    await expect(page).toHaveURLPath('/wallet');
    await page.getByText('暂无收支记录。').waitFor();
    await capture(page, '04-wallet-empty', violations);
    await page.getByRole('link', { name: '充值', exact: true }).click();
    await page.getByLabel('充值金额（元）').fill('120.50');
    await page.getByLabel('支付宝').check();
    await capture(page, '05-top-up', violations);
    await page.getByRole('button', { name: '去付款' }).click();
    await expect(page).toHaveURLPath(/^\/wallet\/top-ups\/[0-9a-f-]{36}$/);
    const qr = page.locator('[data-qr-payload]');
    await qr.locator('svg').waitFor();
    expect(await qr.getAttribute('data-qr-payload')).toMatch(/^https:\/\/qr\.alipay\.com\//);
    await expect(page.getByTestId('order-status')).toHaveTextContent('等待付款');
    await capture(page, '06-top-up-qr', violations);
    await page.getByRole('link', { name: /打开沙箱收银台/ }).click();
    await expect(page).toHaveURLPath(/^\/sandbox-checkout\/ALIPAY\//);
    await page.getByText('¥120.50').waitFor();
    await capture(page, '07-sandbox-checkout', violations);
    await page.getByRole('button', { name: '确认付款' }).click();
    await expect(page.getByTestId('sandbox-status')).toHaveTextContent('已付款');
    // the platform hears of the payment from the provider: the notification arrives live
    await expect(page.locator('[data-testid=live-notification][data-type=TOP_UP_SUCCEEDED]')).toHaveTextContent('¥120.50');
    await page.getByRole('link', { name: '返回商户' }).click();
    await expect(page.getByTestId('order-status')).toHaveTextContent('充值成功');
    await capture(page, '08-top-up-done', violations);
    await page.getByRole('navigation').getByRole('link', { name: '钱包' }).click();
    await expect(page.getByTestId('balance-CNY')).toHaveTextContent('¥120.50');
    await page.getByRole('list', { name: '收支明细' }).getByText('充值').waitFor();

    // a reload forgets the access token: the refresh token gets a new one silently (and is rotated)
    const before = await stored(page, 'citypay.refreshToken');
    await page.reload();
    await expect(page.getByTestId('balance-CNY')).toHaveTextContent('¥120.50');
    const after = await stored(page, 'citypay.refreshToken');
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    await capture(page, '09-wallet', violations);

    // bills: link the account, pay the open bill from the wallet, read the receipt, turn auto-pay on
    await page.getByRole('navigation').getByRole('link', { name: '缴费' }).click();
    await page.getByText('暂无待缴账单。').waitFor();
    await page.getByRole('link', { name: '添加户号' }).click();
    await page.getByLabel('缴费单位').selectOption({ label: '天津水务集团 (水费)' });
    await page.getByLabel('户号').fill('W-100');
    await page.getByLabel('备注名（选填）').fill('家里');
    await capture(page, '10-link-account', violations);
    await page.getByRole('button', { name: '添加' }).click();
    await expect(page).toHaveURLPath('/bills');
    await page.getByText('¥88.00').waitFor();
    await page.getByText('¥23.50').waitFor();
    await capture(page, '11-bills', violations);
    await page.getByRole('link', { name: '缴费 天津水务集团 2026-11' }).click();
    await page.getByText('李**', { exact: true }).waitFor();
    await capture(page, '12-pay-bill', violations);
    await page.getByRole('button', { name: '确认缴费' }).click();
    await expect(page).toHaveURLPath(/^\/payments\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId('payment-status')).toHaveTextContent('缴费成功');
    expect(await page.getByTestId('receipt-no').textContent()).toMatch(/^BP\d{8}-\d{8}$/);
    // the paid notification arrives live
    await expect(page.locator('[data-testid=live-notification][data-type=BILL_PAID]')).toHaveTextContent('¥88.00');
    await capture(page, '13-receipt', violations);
    // the other bill through a provider: its QR, then the sandbox checkout, then the receipt
    await page.getByRole('link', { name: '返回缴费' }).click();
    await page.getByRole('link', { name: '缴费 天津水务集团 2026-10' }).click();
    await page.getByLabel('微信支付').check();
    await page.getByRole('button', { name: '确认缴费' }).click();
    const billQr = page.locator('[data-qr-payload]');
    await billQr.locator('svg').waitFor();
    expect(await billQr.getAttribute('data-qr-payload')).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    await capture(page, '13b-pay-bill-provider', violations);
    await page.getByRole('link', { name: /打开沙箱收银台/ }).click();
    await expect(page).toHaveURLPath(/^\/sandbox-checkout\/WECHAT_PAY\//);
    await page.getByText('¥23.50').waitFor();
    await page.getByRole('button', { name: '确认付款' }).click();
    await expect(page.getByTestId('sandbox-status')).toHaveTextContent('已付款');
    await page.getByRole('link', { name: '返回商户' }).click();
    await expect(page).toHaveURLPath(/^\/payments\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId('payment-status')).toHaveTextContent('缴费成功');
    expect(await page.getByTestId('receipt-no').textContent()).toMatch(/^BP\d{8}-\d{8}$/);
    await page.getByRole('link', { name: '返回缴费' }).click();
    await page.getByText('暂无待缴账单。').waitFor();
    // a new bill for the linked account: announced live, and the open bills show it without a reload
    await loadBills(app, water, [bill('W-100', 1_200, { period: '2026-12', dueDate: '2027-01-15', customerName: '李小明' })]);
    await page.locator('[data-testid=live-notification][data-type=BILL_ISSUED]').waitFor();
    await page.getByRole('link', { name: '缴费 天津水务集团 2026-12' }).waitFor();
    await page.getByText('¥12.00').first().waitFor();
    await page.getByRole('link', { name: '自动缴费：未开启' }).click();
    await page.getByLabel('单笔上限（元）').fill('200');
    await page.getByRole('button', { name: '开启自动缴费' }).click();
    await page.getByText('已开启，单笔上限').waitFor();
    await capture(page, '14-auto-pay', violations);

    // the wallet paid: 120.50 - 88.00
    await page.getByRole('navigation').getByRole('link', { name: '钱包' }).click();
    await expect(page.getByTestId('balance-CNY')).toHaveTextContent('¥32.50');

    // English, then back; logout ends the session
    await page.getByRole('navigation').getByRole('link', { name: '我的' }).click();
    await page.getByRole('button', { name: 'English' }).first().click();
    await page.getByRole('heading', { name: 'Me' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await capture(page, '15-me-english', violations);
    await page.getByRole('button', { name: '中文' }).first().click();
    await page.getByRole('button', { name: '退出登录' }).click();
    await expect(page).toHaveURLPath('/login');
    expect(await stored(page, 'citypay.refreshToken')).toBeNull();
    await page.goto('/wallet');
    await expect(page).toHaveURLPath('/login');

    expect(violations).toEqual([]);
  }, 90_000);

  it('a biller uploads a CSV and sees the refusals and the settlement chart; the admin sees organisations and reconciliation', async () => {
    violations.length = 0;
    const gas = await makeBiller(app, admin, { name: '津燃华润', billerCategory: 'GAS' });
    // two payments today, so the chart has a bar
    await loadBills(app, gas, [bill('G-1', 3_000), bill('G-2', 4_500)]);
    const payer = await verifiedUser(app);
    await credit(app, admin, payer, 10_000);
    for (const ref of ['G-1', 'G-2']) expect((await payBill(app, payer, (await fetchBill(app, payer, gas, ref)).id, { method: 'WALLET' })).status).toBe(201);

    const page = await newPage(DESKTOP);
    await page.goto('/login');
    await page.getByLabel('手机号').fill(gas.staff.phone);
    await page.getByLabel('密码', { exact: true }).fill(gas.staff.password);
    await page.getByRole('button', { name: '登录' }).click();
    await expect(page).toHaveURLPath('/wallet');
    await page.getByRole('navigation').getByRole('link', { name: '机构后台' }).click();
    await page.getByRole('link', { name: '津燃华润' }).click();
    await expect(page).toHaveURLPath(`/operator/billers/${gas.billerId}`);
    await expect(page.getByTestId('settlement-summary')).toHaveTextContent('共 2 笔，合计 ¥75.00');
    await page.locator('[data-testid=settlement-chart] .recharts-bar-rectangle').first().waitFor();

    const csv = [
      'customerRef,period,amount,currency,dueDate,customerName',
      'G-10,2026-12,2800,CNY,2027-01-15,赵一',
      'G-11,2026-12,3100,CNY,2027-01-15,"钱,二"',
      'G-12,2026-13,1000,CNY,2027-01-15,孙三', // no 13th month
      'G-10,2026-12,2900,CNY,2027-01-15,赵一', // twice in one file
      'G-1,2026-11,9999,CNY,2026-12-15,张三丰', // already paid: cannot change
      'G-13,2026-12,12.5,CNY,2027-01-15,李四', // not minor units
    ].join('\n');
    await page.locator('#bills-csv').setInputFiles({ name: 'bills.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
    const result = page.getByTestId('upload-result');
    await result.waitFor();
    expect(await page.locator('#upload-progress').evaluate((p) => [(p as unknown as { value: number }).value, (p as unknown as { max: number }).max])).toEqual([6, 6]);
    const rows = await result.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(4);
    expect(rows.join('|')).toContain('4G-12内容不合格 (账期应为 YYYY-MM)');
    expect(rows.join('|')).toMatch(/5G-10文件内重复|3G-10文件内重复/);
    expect(rows.join('|')).toContain('6G-1该账单已有缴费，不能修改');
    expect(rows.join('|')).toContain('7G-13内容不合格');
    await capture(page, '20-biller-console', violations);

    // the platform admin: organisations and reconciliation
    const adminPage = await newPage(DESKTOP);
    await adminPage.goto('/login?next=/admin');
    await adminPage.getByLabel('手机号').fill(ADMIN.phone);
    await adminPage.getByLabel('密码', { exact: true }).fill(ADMIN.password);
    await adminPage.getByRole('button', { name: '登录' }).click();
    await expect(adminPage).toHaveURLPath('/admin');
    await adminPage.getByLabel('名称').fill('滨海公交');
    await adminPage.getByLabel('类型').selectOption('TRANSIT_OPERATOR');
    await adminPage.getByRole('button', { name: '创建' }).click();
    await adminPage.getByText(/已创建 滨海公交/).waitFor();
    await adminPage.getByRole('cell', { name: '滨海公交' }).waitFor();
    await capture(adminPage, '21-admin-organizations', violations);
    await adminPage.getByRole('link', { name: '对账结果' }).click();
    await adminPage.getByRole('button', { name: '立即对账' }).click();
    await adminPage.getByRole('cell', { name: '支付宝' }).waitFor();
    await capture(adminPage, '22-admin-reconciliation', violations);

    expect(violations).toEqual([]);
  }, 90_000);

  it('the wallet history loads page after page on its cursor as it scrolls, each item once, to its end', async () => {
    const user = await verifiedUser(app);
    // 45 movements of 0.01 .. 0.45: three pages of 20; newest first
    for (let fen = 1; fen <= 45; fen++) await credit(app, admin, user, fen);
    const page = await newPage();
    await page.context().addInitScript((token) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('citypay.refreshToken', token), user.refreshToken);
    await page.goto('/wallet');
    await expect(page.getByTestId('balance-CNY')).toHaveTextContent('¥10.35');
    // the document's title names the page, in the reader's language
    expect(await waitFor(async () => (await page.title()) === '我的钱包 · 城市支付')).toBe(true);
    const rows = page.getByRole('list', { name: '收支明细' }).getByRole('listitem');
    const end = page.getByTestId('list-end');
    // the first page only: the end of the list is below the fold
    expect(await waitFor(async () => (await rows.count()) === 20)).toBe(true);
    expect(await end.getAttribute('data-more')).toBe('true');
    await end.scrollIntoViewIfNeeded();
    expect(await waitFor(async () => (await rows.count()) === 40)).toBe(true);
    await end.scrollIntoViewIfNeeded();
    expect(await waitFor(async () => (await rows.count()) === 45)).toBe(true);
    await expect(end).toHaveTextContent('没有更多记录了');
    expect(await end.getAttribute('data-more')).toBe('false');
    const amounts = (await rows.locator('.in').allTextContents()).map((t) => Math.round(Number(t.replace(/[^0-9.]/g, '')) * 100));
    expect(amounts).toEqual(Array.from({ length: 45 }, (_, i) => 45 - i));
  }, 90_000);

  it('every error code the API documents has its message in both languages', async () => {
    const doc = (await app.request('GET', '/docs-json')).body as { paths: Record<string, Record<string, { responses?: Record<string, any> }>> };
    const codes = new Set<string>();
    const collect = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, any>;
      if (n.properties?.code?.enum) for (const c of n.properties.code.enum as string[]) codes.add(c);
      for (const v of Object.values(n)) collect(v);
    };
    for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) collect(op.responses);
    expect(codes.size).toBeGreaterThan(20);
    for (const lang of ['zh-CN', 'en']) {
      const errors = (JSON.parse(readFileSync(join(process.cwd(), 'apps', 'web', 'src', 'locales', lang, 'common.json'), 'utf8')) as { errors: Record<string, string> }).errors;
      expect([lang, [...codes].filter((c) => !errors[c]).sort()]).toEqual([lang, []]);
    }
  });

  it('first load of the wallet on a throttled phone: JS bytes within budget, figures written to test-results/web/first-load.json', async () => {
    const user = await registerUser(app);
    const figures: Record<string, unknown> = {};
    for (const [name, path, ready] of [
      ['login (anonymous)', '/login', (p: Page) => p.getByRole('button', { name: '登录' }).waitFor()],
      ['wallet (signed in)', '/wallet', (p: Page) => p.getByTestId('balance-CNY').or(p.getByText('¥0.00')).first().waitFor()],
    ] as const) {
      const context = await browser.newContext({ baseURL: app.baseUrl, viewport: PHONE, locale: 'zh-CN', serviceWorkers: 'block' });
      contexts.push(context);
      if (path === '/wallet') await context.addInitScript((token) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('citypay.refreshToken', token), user.refreshToken);
      const page = await context.newPage();
      // a mid-range phone on a slow mobile network: 4x slower CPU, 1.6 Mbps down, 750 kbps up, 150 ms round trips
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150, downloadThroughput: 200_000, uploadThroughput: 93_750 });
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      const scripts: { url: string; transferred: number; encoding: string; gzip: number; raw: number }[] = [];
      const measured: Promise<void>[] = [];
      let pendingScripts = 0;
      let lastScriptAt = Date.now();
      page.on('request', (request) => {
        if (request.resourceType() !== 'script') return;
        pendingScripts++;
        lastScriptAt = Date.now();
      });
      page.on('requestfailed', (request) => {
        if (request.resourceType() !== 'script') return;
        pendingScripts--;
        lastScriptAt = Date.now();
      });
      page.on('requestfinished', (request) => {
        if (request.resourceType() !== 'script') return;
        pendingScripts--;
        lastScriptAt = Date.now();
        measured.push((async () => {
          const [sizes, response] = await Promise.all([request.sizes(), request.response()]);
          const file = join(webDir, new URL(request.url()).pathname);
          scripts.push({
            url: new URL(request.url()).pathname,
            transferred: sizes.responseBodySize,
            encoding: (await response?.allHeaders())?.['content-encoding'] ?? 'identity',
            gzip: existsSync(`${file}.gz`) ? statSync(`${file}.gz`).size : statSync(file).size,
            raw: statSync(file).size,
          });
        })());
      });
      const started = Date.now();
      await page.goto(path, { waitUntil: 'commit' });
      await ready(page);
      const interactiveMs = Date.now() - started;
      // every script the page loads, lazy chunks included: no script request pending for 1.5 s (not network
      // idle, which a live notification stream may never reach); bytes are measured, not time
      const deadline = Date.now() + 75_000;
      while (pendingScripts > 0 || Date.now() - lastScriptAt < 1_500) {
        if (Date.now() > deadline) throw new Error(`${path}: ${pendingScripts} script requests still pending after 75 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await Promise.all(measured);
      const sum = (k: 'transferred' | 'gzip' | 'raw') => scripts.reduce((n, s) => n + s[k], 0);
      figures[name] = { interactiveMs, jsFiles: scripts.length, jsGzipBytes: sum('gzip'), jsTransferredBytes: sum('transferred'), jsRawBytes: sum('raw'), scripts };
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(SCREENSHOTS, 'first-load.json'), JSON.stringify(figures, null, 2));
    process.stdout.write(`web first load: ${JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, { ...(v as object), scripts: undefined }])))}\n`);
    for (const [name, f] of Object.entries(figures) as [string, { jsGzipBytes: number; scripts: { encoding: string; raw: number }[] }][]) {
      // budget: the JS a phone downloads before the first screen, gzip
      expect([name, f.jsGzipBytes < 180_000]).toEqual([name, true]);
      expect([name, f.scripts.every((s) => s.encoding === 'br' || s.encoding === 'gzip' || s.raw < 1024)]).toEqual([name, true]);
    }
  }, 180_000);
});

/** Small matchers over Playwright locators and pages that wait like Playwright's own. */
declare module 'expect' {
  interface Matchers<R> {
    toHaveURLPath(expected: string | RegExp): Promise<R>;
    toHaveTextContent(expected: string): Promise<R>;
  }
}
async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
expect.extend({
  async toHaveURLPath(page: Page, expected: string | RegExp) {
    const path = () => new URL(page.url()).pathname;
    const pass = await waitFor(async () => (typeof expected === 'string' ? path() === expected : expected.test(path())));
    return { pass, message: () => `expected the page at ${String(expected)}, it is at ${path()}` };
  },
  async toHaveTextContent(locator: import('playwright-core').Locator, expected: string) {
    let last = '';
    const pass = await waitFor(async () => {
      last = (await locator.textContent().catch(() => '')) ?? '';
      return last.includes(expected);
    });
    return { pass, message: () => `expected text containing "${expected}", got "${last}"` };
  },
});
