import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { verifyCode } from '@app/paycode';
import { startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, orgWithAdmin, type TestUser } from '../support/factories.js';
import { bill, credit, fetchBill, loadBills, makeBiller } from '../support/billing.js';
import { buildWebApp, capture, launchChromium, PHONE, DESKTOP, stored, type AxeViolation } from '../support/browser.js';
import { makeOperator, makeRider, tap, upload } from '../support/transit.js';
import { cardCode, cardView, charge, makeMerchant, makeUniversity, studentWithCard } from '../support/campus.js';
import { eventually } from '../support/payments.js';

/**
 * The transit, campus and notifications parts of the web app in a real
 * browser (Debian's chromium through playwright-core) against the real
 * server on real PostgreSQL: ride codes tapped by a reader through the API,
 * the installable app minting ride codes with the network cut, subsidies
 * and notifications arriving live, the operator consoles. Every new page is
 * screenshotted at phone and desktop sizes (test-results/web) and checked
 * with axe-core.
 */
describe('web app: transit, campus, notifications', () => {
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

  /** A page signed in as `user` (its refresh token, as after a login; a reload keeps the rotated one). */
  async function pageAs(user: TestUser, viewport = PHONE, serviceWorkers: 'allow' | 'block' = 'block'): Promise<{ page: Page; context: BrowserContext }> {
    const context = await browser.newContext({ baseURL: app.baseUrl, viewport, locale: 'zh-CN', serviceWorkers });
    context.setDefaultTimeout(15_000);
    contexts.push(context);
    await context.addInitScript((token) => {
      const ls = (globalThis as unknown as { localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } }).localStorage;
      if (!ls.getItem('citypay.refreshToken')) ls.setItem('citypay.refreshToken', token);
    }, user.refreshToken);
    const page = await context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    return { page, context };
  }

  const qrPayload = async (page: Page, scope: string): Promise<string> => {
    const qr = page.locator(`${scope} [data-qr-payload]`);
    await qr.locator('svg').waitFor();
    return (await qr.getAttribute('data-qr-payload'))!;
  };

  it('a rider shows a ride code, a reader taps it through the API, the trip appears with its fare; arrears are paid', async () => {
    violations.length = 0;
    const operator = await makeOperator(app, admin);
    const rider = await makeRider(app, admin, 200); // one flat fare
    const { page } = await pageAs(rider);
    await page.goto('/transit');
    await page.locator('[data-testid=ride-code][data-code-kind=online]').waitFor();
    const code = await qrPayload(page, '[data-testid=ride-code]');
    expect(code.split('.')).toHaveLength(3);
    await capture(page, '30-ride-code', violations);

    const [charged] = await upload(app, operator.reader, [tap(code, operator.flat.code)]);
    expect(charged).toMatchObject({ status: 'CHARGED', fare: { amount: 200, currency: 'CNY' } });

    await page.getByRole('link', { name: '乘车记录与欠款' }).click();
    const trip = page.locator(`[data-testid=trip][data-status=CHARGED]`);
    await trip.waitFor();
    await expect(trip).toHaveTextContent(`线路 ${operator.flat.code}`);
    await expect(trip).toHaveTextContent('¥2.00');
    await expect(trip).toHaveTextContent('基础票价');

    // a second ride the wallet cannot pay: the trip is unpaid, the ride code refused until the arrears are paid
    await page.getByRole('link', { name: '返回乘车码' }).click();
    await page.locator('[data-testid=ride-code][data-code-kind=online]').waitFor();
    const second = await qrPayload(page, '[data-testid=ride-code]');
    expect(second).not.toBe(code);
    const [unpaid] = await upload(app, operator.reader, [tap(second, operator.flat.code)]);
    expect(unpaid.status).toBe('UNPAID');
    await page.getByRole('button', { name: '刷新乘车码' }).click();
    await page.getByText('您有未支付的乘车费用').waitFor();
    await page.getByRole('link', { name: '去补缴' }).click();
    await page.locator('[data-testid=trip][data-status=UNPAID]').waitFor();
    await expect(page.getByTestId('arrears')).toHaveTextContent('1 笔未支付，共 ¥2.00');
    await page.getByRole('button', { name: '用钱包补缴' }).click();
    await page.getByText('钱包余额不足，请先充值。').waitFor();
    await capture(page, '31-trips-arrears', violations);
    await credit(app, admin, rider, 500);
    await page.getByRole('button', { name: '用钱包补缴' }).click();
    await expect(page.getByTestId('arrears-paid')).toHaveTextContent('已补缴 1 笔');
    await page.locator('[data-testid=trip][data-status=UNPAID]').waitFor({ state: 'detached' });
    expect(await page.locator('[data-testid=trip][data-status=CHARGED]').count()).toBe(2);
    await page.getByRole('link', { name: '返回乘车码' }).click();
    await page.locator('[data-testid=ride-code][data-code-kind=online]').waitFor();

    expect(violations).toEqual([]);
  }, 120_000);

  it("a charged ride's notification arrives live, with the unread badge", async () => {
    const operator = await makeOperator(app, admin);
    const rider = await makeRider(app, admin, 1_000);
    const { page } = await pageAs(rider);
    await page.goto('/notifications');
    await page.getByText('实时更新中').waitFor();
    await page.getByText('暂无消息。').waitFor();
    await page.getByRole('navigation').getByRole('link', { name: '乘车' }).click();
    const code = await qrPayload(page, '[data-testid=ride-code]');
    expect((await upload(app, operator.reader, [tap(code, operator.flat.code)]))[0].status).toBe('CHARGED');
    const toast = page.locator('[data-testid=live-notification][data-type=RIDE_CHARGED]');
    await toast.waitFor();
    await expect(toast).toHaveTextContent('¥2.00');
    await expect(page.getByTestId('unread-badge')).toHaveTextContent('1');
  }, 60_000);

  it('the installed app shows a valid ride code with the network cut, minted on the phone; a reader verifies it and the tap charges', async () => {
    violations.length = 0;
    const operator = await makeOperator(app, admin);
    const rider = await makeRider(app, admin, 1_000);
    const { page, context } = await pageAs(rider, PHONE, 'allow');
    await page.goto('/transit');
    await page.locator('[data-testid=ride-code][data-code-kind=online]').waitFor();

    // installable: a manifest with icons, a service worker controlling the page
    const manifestHref = await page.locator('link[rel=manifest]').getAttribute('href');
    const manifest = (await (await fetch(app.baseUrl + manifestHref)).json()) as { icons: { sizes: string }[] };
    expect(manifest).toMatchObject({ display: 'standalone', start_url: '/transit' });
    expect(manifest.icons.map((i: { sizes: string }) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    await page.evaluate(() => (globalThis as any).navigator.serviceWorker.ready.then(() => true));
    // the credential for offline codes is stored (key in IndexedDB, not extractable)
    // polled: waitForFunction takes the promise itself as a truthy answer and would read the store only once
    const readStored = () =>
      page.evaluate(
        () =>
          new Promise<{ extractable: boolean; maxCodes: number } | null>((resolve) => {
            const req = (globalThis as any).indexedDB.open('citypay-transit', 1);
            req.onupgradeneeded = () => req.result.createObjectStore('credentials');
            req.onsuccess = () => {
              const get = req.result.transaction('credentials').objectStore('credentials').get('current');
              get.onsuccess = () => resolve(get.result ? { extractable: get.result.privateKey.extractable, maxCodes: get.result.maxCodes } : null);
              get.onerror = () => resolve(null);
            };
            req.onerror = () => resolve(null);
          }),
      );
    const stored = await eventually(readStored, 15_000, 'the offline credential in IndexedDB');
    expect(stored).toMatchObject({ extractable: false, maxCodes: expect.any(Number) });
    // the service worker has the app shell: reload once under its control
    await page.reload();
    await page.locator('[data-testid=ride-code][data-code-kind=online]').waitFor();
    expect(await page.evaluate(() => (globalThis as any).navigator.serviceWorker.controller !== null)).toBe(true);

    // the network is cut: the app opens from the service worker's cache and mints the code itself
    await context.setOffline(true);
    await page.reload();
    await page.locator('[data-testid=ride-code][data-code-kind=offline]').waitFor();
    const offline = await qrPayload(page, '[data-testid=ride-code]');
    expect(offline).toContain('~');
    await page.getByText('离线乘车码').waitFor();
    await capture(page, '32-ride-code-offline', violations);

    // a reader verifies it offline with the published keys, as paycode.md says
    const jwks = (await app.request('GET', '/v1/transit/keys')).body;
    const verified = verifyCode(offline, jwks, { now: Date.now(), use: 'ride' });
    expect(verified).toMatchObject({ ok: true, kind: 'offline', counter: expect.any(Number) });
    const counter = (verified as { counter: number }).counter;
    // and the next one the phone makes has the next counter
    await page.getByRole('button', { name: '刷新乘车码' }).click();
    await page.waitForFunction((prev) => (globalThis as any).document.querySelector('[data-testid=ride-code] [data-qr-payload]')?.getAttribute('data-qr-payload') !== prev, offline);
    const next = await qrPayload(page, '[data-testid=ride-code]');
    expect(verifyCode(next, jwks, { now: Date.now(), use: 'ride' })).toMatchObject({ ok: true, kind: 'offline', counter: counter + 1 });

    // the reader uploads the tap later: the rider is charged once
    const [result] = await upload(app, operator.reader, [tap(offline, operator.flat.code)]);
    expect(result).toMatchObject({ status: 'CHARGED', fare: { amount: 200 } });
    const [again] = await upload(app, operator.reader, [tap(offline, operator.flat.code)]);
    expect(again).toMatchObject({ status: 'REJECTED', reason: 'CODE_ALREADY_USED' });
    await context.setOffline(false);

    expect(violations).toEqual([]);
  }, 120_000);

  it('a university uploads a roster and pays a subsidy; the student sees it live, tops up, sets a PIN and freezes the card', async () => {
    violations.length = 0;
    const university = await makeUniversity(app, admin);
    const card = await studentWithCard(app, admin, university, 0);
    await credit(app, admin, card.owner, 5_000);

    const { page: student } = await pageAs(card.owner);
    await student.goto('/campus');
    await student.getByRole('link', { name: `学工号 ${card.memberNo}` }).waitFor();
    await capture(student, '39-campus-cards', violations);
    await student.getByRole('link', { name: `学工号 ${card.memberNo}` }).click();
    await expect(student.getByTestId('card-balance')).toHaveTextContent('¥0.00');
    await qrPayload(student, '[data-testid=card-code]');
    await capture(student, '40-campus-card', violations);

    const { page: staff } = await pageAs(university.staff, DESKTOP);
    await staff.goto('/operator');
    await staff.getByRole('link', { name: /天津商业大学/ }).waitFor();
    await capture(staff, '41a-operator-home', violations);
    await staff.getByRole('link', { name: /天津商业大学/ }).click();
    await staff.getByRole('heading', { level: 1, name: '高校后台' }).waitFor();
    await expect(staff).toHaveURLPath(`/operator/universities/${university.id}`);
    const roster = ['memberNo,fullName,kind', 'S-NEW-1,王五,STUDENT', `${card.memberNo},李四,STUDENT`].join('\n');
    await staff.locator('#roster-csv').setInputFiles({ name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from(roster, 'utf8') });
    await expect(staff.getByTestId('roster-result')).toHaveTextContent('新增 1 人，更新 1 人。');
    await staff.getByLabel('学工号').fill(`${card.memberNo}\nS-NEW-1\nNOBODY`);
    await staff.getByLabel('每人金额（元）').fill('50');
    await staff.getByLabel('用途说明').fill('伙食补助');
    await staff.getByRole('button', { name: '发放' }).click();
    const result = staff.getByTestId('subsidy-result');
    await expect(result).toHaveTextContent('已发放 1 人');
    await expect(result).toHaveTextContent('S-NEW-1: 尚未开通校园卡');
    await expect(result).toHaveTextContent('NOBODY: 不在名单中');
    await capture(staff, '41-university-console', violations);

    // the student's page, untouched: the notification arrives live and the balance follows
    const toast = student.locator('[data-testid=live-notification][data-type=SUBSIDY_CREDITED]');
    await toast.waitFor();
    await expect(toast).toHaveTextContent('¥50.00');
    await expect(student.getByTestId('card-balance')).toHaveTextContent('¥50.00');
    await expect(student.getByTestId('card-subsidy')).toHaveTextContent('¥50.00');
    await student.locator('[data-testid=card-movement][data-kind=SUBSIDY]').waitFor();

    // top-up from the wallet
    await student.getByRole('link', { name: '充值', exact: true }).click();
    await student.getByLabel('充值金额（元）').fill('20');
    await student.getByLabel('钱包余额').check();
    await capture(student, '42-card-top-up', violations);
    await student.getByRole('button', { name: '确认充值' }).click();
    await expect(student.getByTestId('card-top-up-done')).toHaveTextContent('¥20.00');
    await student.getByRole('link', { name: '返回校园卡详情' }).click();
    await expect(student.getByTestId('card-balance')).toHaveTextContent('¥70.00');

    // PIN: a bad one is refused at the field, a good one saved
    await student.getByRole('link', { name: '设置支付密码' }).click();
    await student.getByLabel('新支付密码（6 位数字）').fill('12a');
    await student.getByRole('button', { name: '保存' }).click();
    await student.getByText('支付密码为 6 位数字。').waitFor();
    await student.getByLabel('新支付密码（6 位数字）').fill('246810');
    await student.getByLabel('再次输入').fill('246810');
    await student.getByRole('button', { name: '保存' }).click();
    await student.getByTestId('pin-done').waitFor();
    await capture(student, '43-card-pin', violations);
    expect((await cardView(app, card)).pinSet).toBe(true);

    // the phone is lost: freeze
    await student.getByRole('link', { name: '返回校园卡详情' }).click();
    await student.getByRole('button', { name: '冻结校园卡' }).click();
    await student.getByRole('button', { name: '确认冻结' }).click();
    await expect(student.getByTestId('card-status')).toHaveTextContent('已冻结');
    await student.getByText('校园卡已冻结，无法出示付款码。').waitFor();
    expect((await cardView(app, card)).status).toBe('FROZEN');
    await capture(student, '44-card-frozen', violations);
    await student.getByRole('button', { name: '解冻校园卡' }).click();
    await expect(student.getByTestId('card-status')).toHaveTextContent('正常');

    // notifications: the list, mark all read
    await student.getByRole('navigation').getByRole('link', { name: /消息/ }).click();
    await student.locator('[data-testid=notification][data-type=SUBSIDY_CREDITED]').waitFor();
    await capture(student, '45-notifications', violations);
    await student.getByRole('button', { name: '全部标为已读' }).click();
    await expect(student.getByTestId('unread-summary')).toHaveTextContent('0 条未读');
    await student.getByTestId('unread-badge').waitFor({ state: 'detached' });

    expect(violations).toEqual([]);
  }, 120_000);

  it('a failed session renewal or code request keeps what still works; a refusal gets a new key; a provider card top-up lands; fares in the operator currency', async () => {
    violations.length = 0;
    const down = { status: 503, contentType: 'application/json', body: JSON.stringify({ statusCode: 503, code: 'SERVICE_UNAVAILABLE', message: 'down' }) };
    const university = await makeUniversity(app, admin);
    const card = await studentWithCard(app, admin, university, 0);
    const { page, context } = await pageAs(card.owner);
    await page.goto(`/campus/cards/${card.id}`);
    const shown = await qrPayload(page, '[data-testid=card-code]');

    // no new code for now: the shown one stays while it is valid (a reader still takes it), the error beside it
    await page.route('**/v1/campus/cards/*/codes', (r) => r.fulfill(down));
    await page.getByRole('button', { name: '刷新付款码' }).click();
    await page.getByTestId('card-code').getByText('服务暂时不可用，请稍后再试。').waitFor();
    expect(await qrPayload(page, '[data-testid=card-code]')).toBe(shown);
    await capture(page, '46-card-code-kept', violations);
    await page.unroute('**/v1/campus/cards/*/codes');

    // the session cannot be renewed for now (a deploy, a captive portal): still signed in, the refresh token kept
    const token = await stored(page, 'citypay.refreshToken');
    await page.route('**/v1/auth/refresh', (r) => r.fulfill(down));
    await page.reload(); // the access token lives in memory: the reload must renew it
    await page.getByText('服务暂时不可用，请稍后再试。').first().waitFor();
    await expect(page).toHaveURLPath(`/campus/cards/${card.id}`);
    expect(await stored(page, 'citypay.refreshToken')).toBe(token);
    await page.unroute('**/v1/auth/refresh');
    await page.reload();
    await expect(page.getByTestId('card-balance')).toHaveTextContent('¥0.00');

    // a card top-up through a provider: the page follows the order until the provider's word lands
    await page.getByRole('link', { name: '充值', exact: true }).click();
    await page.getByLabel('充值金额（元）').fill('30');
    await page.getByLabel('支付宝').check();
    await page.getByRole('button', { name: '确认充值' }).click();
    await expect(page.getByTestId('card-top-up-status')).toHaveTextContent('等待付款');
    await capture(page, '47-card-top-up-provider', violations);
    const checkoutUrl = await page.getByRole('link', { name: /打开沙箱收银台/ }).getAttribute('href');
    const payer = await context.newPage(); // paid elsewhere (the Alipay app): this page stays as it is
    await payer.goto(checkoutUrl!);
    await payer.getByRole('button', { name: '确认付款' }).click();
    await expect(payer.getByTestId('sandbox-status')).toHaveTextContent('已付款');
    await expect(page.getByTestId('card-top-up-done')).toHaveTextContent('¥30.00');
    expect((await cardView(app, card)).balance).toBe(3_000);

    // a refused bill payment (no wallet funds), then the same bill by Alipay: a new intent, a new key
    const water = await makeBiller(app, admin, { name: `天津水务 ${card.memberNo}` });
    await loadBills(app, water, [bill(card.memberNo, 4_200)]);
    const owed = await fetchBill(app, card.owner, water, card.memberNo);
    const linked = await app.request('POST', '/v1/me/biller-accounts', { token: card.owner.accessToken, body: { billerId: water.billerId, customerRef: card.memberNo } });
    expect(linked.status).toBe(201);
    await page.goto(`/bills/${owed.id}/pay`);
    await page.getByRole('button', { name: '确认缴费' }).click();
    await page.getByText('钱包余额不足，请先充值。').waitFor();
    await page.getByLabel('支付宝').check();
    await page.getByRole('button', { name: '确认缴费' }).click();
    const billQr = page.locator('[data-qr-payload]');
    await billQr.locator('svg').waitFor();
    expect(await billQr.getAttribute('data-qr-payload')).toMatch(/^https:\/\/qr\.alipay\.com\//);

    // a Hong Kong operator's console sets its fares in its own currency
    const hk = await orgWithAdmin(app, admin, 'TRANSIT_OPERATOR', { name: `港岛巴士 ${card.memberNo}`, currency: 'HKD' });
    const { page: hkConsole } = await pageAs(hk.orgAdmin, DESKTOP);
    await hkConsole.goto(`/operator/transit/${hk.orgId}`);
    await hkConsole.getByLabel('线路编号').fill('H1');
    await hkConsole.getByLabel('线路名称').fill('港岛 1 号线');
    await hkConsole.getByLabel('票价（元）').fill('4.5');
    await hkConsole.getByRole('button', { name: '添加线路' }).click();
    await hkConsole.getByRole('cell', { name: '港岛 1 号线', exact: true }).waitFor();
    await hkConsole.getByRole('cell', { name: 'HK$4.50' }).waitFor();
    await hkConsole.getByLabel('每日封顶（元）').fill('20');
    await hkConsole.getByRole('button', { name: '保存政策' }).click();
    await hkConsole.getByText('票价政策已保存。').waitFor();
    await capture(hkConsole, '48-operator-hkd', violations);
    const policy = (await app.request('GET', `/v1/transit/operators/${hk.orgId}/fare-policy`, { token: hk.orgAdmin.accessToken })).body;
    expect(policy.dailyCap).toEqual({ amount: 2_000, currency: 'HKD' });
    expect(violations).toEqual([]);
  }, 120_000);

  it('a transit operator manages routes, vehicles and fare policy, prints a sticker and sees settlements; a merchant refunds a charge', async () => {
    violations.length = 0;
    const operator = await makeOperator(app, admin);
    const rider = await makeRider(app, admin, 1_000);
    const code = (await app.request('POST', '/v1/transit/ride-codes', { token: rider.accessToken })).body.code as string;
    expect((await upload(app, operator.reader, [tap(code, operator.flat.code)]))[0].status).toBe('CHARGED');

    const { page } = await pageAs(operator.admin, DESKTOP);
    await page.goto(`/operator/transit/${operator.operatorId}`);
    // the console's name in the reader's language, then which organisation, of what kind, in what role
    await page.getByRole('heading', { level: 1, name: '公交运营后台' }).waitFor();
    await expect(page.getByTestId('console-organization')).toHaveTextContent('滨海公交');
    await expect(page.getByTestId('console-organization')).toHaveTextContent('（公交运营商） · 您的角色：管理员');
    await page.getByRole('cell', { name: operator.flat.code, exact: true }).first().waitFor();
    await page.getByLabel('线路编号').fill('T88');
    await page.getByLabel('线路名称').fill('滨海 88 路');
    await page.getByLabel('票价（元）').fill('1.5');
    await page.getByRole('button', { name: '添加线路' }).click();
    await page.getByRole('cell', { name: '滨海 88 路', exact: true }).waitFor();
    await page.getByLabel('车牌号').fill('津B88888');
    await page.getByLabel('线路', { exact: true }).selectOption('T88');
    await page.getByRole('button', { name: '添加车辆' }).click();
    await page.getByRole('cell', { name: '津B88888', exact: true }).waitFor();
    await page.getByLabel('换乘时限（分钟，1–180）').fill('90');
    await page.getByLabel('优惠金额（元）').fill('1');
    await page.getByLabel('每日封顶（元）').fill('6');
    await page.getByRole('button', { name: '保存政策' }).click();
    await page.getByText('票价政策已保存。').waitFor();
    const policy = (await app.request('GET', `/v1/transit/operators/${operator.operatorId}/fare-policy`, { token: operator.admin.accessToken })).body;
    expect(policy).toMatchObject({ transfer: { windowMinutes: 90, discount: { amount: 100 } }, dailyCap: { amount: 600 } });
    const settlements = page.getByTestId('transit-settlements');
    await expect(settlements).toHaveTextContent('共 1 笔');
    await expect(settlements).toHaveTextContent('¥2.00');
    await capture(page, '50-transit-console', violations);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: 'Transit operator console' }).waitFor();
    await expect(page.getByTestId('console-organization')).toHaveTextContent('(Transit operator) · your role: Administrator');
    await page.getByRole('heading', { name: 'Fare policy' }).waitFor();
    await capture(page, '50b-transit-console-english', violations);
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { level: 1, name: '公交运营后台' }).waitFor();

    await page.getByRole('link', { name: '打印车门码（津B88888）' }).click();
    const sticker = page.getByTestId('vehicle-sticker');
    await sticker.locator('svg').waitFor();
    const vehicles = (await app.request('GET', `/v1/transit/vehicles?operatorId=${operator.operatorId}`, { token: operator.admin.accessToken })).body as { plate: string; staticQr: string }[];
    expect(await sticker.getAttribute('data-static-qr')).toBe(vehicles.find((v) => v.plate === '津B88888')!.staticQr);
    await capture(page, '51-vehicle-sticker', violations);

    // a campus merchant: today's charges, one refunded in part
    const university = await makeUniversity(app, admin);
    const merchant = await makeMerchant(app, admin, university);
    const card = await studentWithCard(app, admin, university, 3_000);
    const paid = await charge(app, merchant.pos, { code: await cardCode(app, card), amount: 1_250 });
    expect(paid.status).toBe(201);
    const { page: till } = await pageAs(merchant.staff, DESKTOP);
    await till.goto(`/operator/merchants/${merchant.id}`);
    await till.getByRole('heading', { level: 1, name: '校园商户后台' }).waitFor();
    await expect(till.getByTestId('merchant-settlement')).toHaveTextContent('¥12.50');
    await till.getByRole('button', { name: /^退款/ }).click();
    await till.getByLabel('退款金额（元）').fill('2.5');
    await till.getByRole('button', { name: /确认退款/ }).click();
    await expect(till.getByTestId('merchant-settlement')).toHaveTextContent('¥10.00');
    await expect(till.getByTestId('merchant-charge')).toHaveTextContent('¥2.50');
    await capture(till, '52-merchant-console', violations);
    expect((await cardView(app, card)).balance).toBe(3_000 - 1_250 + 250);

    expect(violations).toEqual([]);
  }, 120_000);
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
