import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pos } from '../../apps/pos/src/pos.js';
import { startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken } from '../support/factories.js';
import { cardCode, cardView, makeMerchant, makeUniversity, studentWithCard } from '../support/campus.js';
import type { TestMerchant, TestUniversity } from '../support/campus.js';

describe('campus POS simulator', () => {
  let app: TestApp;
  let admin: string;
  let uni: TestUniversity;
  let canteen: TestMerchant;
  let dir: string;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
    uni = await makeUniversity(app, admin);
    canteen = await makeMerchant(app, admin, uni);
    dir = mkdtempSync(join(tmpdir(), 'pos-'));
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('charges online, verifies and queues offline, uploads later; a second upload changes nothing', async () => {
    const pos = new Pos({ server: app.baseUrl, deviceId: canteen.pos.id, secret: canteen.pos.secret, stateDir: dir });
    const config = await pos.refreshConfig();
    expect(config).toMatchObject({ merchantId: canteen.id, universityId: uni.id, universityRef: expect.stringMatching(/^[A-Za-z0-9_-]{4}$/) });
    const card = await studentWithCard(app, admin, uni, 3_000);
    const online = await pos.scan(await cardCode(app, card), 500);
    expect(online).toMatchObject({ kind: 'CHARGED', cardBalanceAfter: 2_500 });

    const code = await cardCode(app, card);
    expect(await pos.scan(code, 700, { offline: true })).toMatchObject({ kind: 'QUEUED' });
    // the terminal itself refuses the same code twice, and forgeries
    expect(await pos.scan(code, 700, { offline: true })).toEqual({ kind: 'REFUSED', reason: 'CODE_ALREADY_USED' });
    expect(await pos.scan(code.slice(0, -2) + 'AA', 1, { offline: true })).toMatchObject({ kind: 'REFUSED', reason: 'INVALID_CODE' });
    // no network at all: the POS falls back to offline
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const unreachable = new Pos({ server: `http://127.0.0.1:${port}`, deviceId: canteen.pos.id, secret: canteen.pos.secret, stateDir: dir });
    expect(await unreachable.scan(await cardCode(app, card), 300)).toMatchObject({ kind: 'QUEUED' });
    expect(pos.queue()).toHaveLength(2);
    expect((await cardView(app, card)).balance).toBe(2_500);

    const first = await pos.upload();
    expect(first).toEqual({ succeeded: 2, duplicate: 0, rejected: [] });
    expect(pos.queue()).toHaveLength(0);
    expect((await cardView(app, card)).balance).toBe(1_500);
    expect(await pos.upload()).toEqual({ succeeded: 0, duplicate: 0, rejected: [] });
    // the secret never lands in the state directory
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).not.toContain(canteen.pos.secret);
  });
});
