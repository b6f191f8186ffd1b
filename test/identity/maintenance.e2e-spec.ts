import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { startApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { registerUser } from '../support/factories.js';
import { IdentityMaintenance } from '../../libs/identity/src/identity-maintenance.js';

describe('identity housekeeping', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('removes whole refresh-token families long expired, keeps live ones, and never breaks the parent links', async () => {
    const ds = app.api.app.get(DataSource);
    const old = await registerUser(app);
    const live = await registerUser(app);
    // three generations in each family
    for (const user of [old, live]) {
      let token = user.refreshToken;
      for (let i = 0; i < 2; i++) token = (await app.request('POST', '/v1/auth/refresh', { body: { refreshToken: token } })).body.refreshToken as string;
    }
    // the old family expired 40 days ago (children expire after their parents, as in real life)
    await ds.query(
      `UPDATE identity.refresh_tokens SET expires_at = now() - interval '40 days' + (created_at - (SELECT min(created_at) FROM identity.refresh_tokens r2 WHERE r2.session_id = refresh_tokens.session_id))
        WHERE session_id IN (SELECT id FROM identity.auth_sessions WHERE user_id = $1)`,
      [old.id],
    );
    const removed = await app.api.app.get(IdentityMaintenance).cleanup();
    expect(removed.refreshTokens).toBe(3);
    const count = async (userId: string) =>
      ((await ds.query(`SELECT count(*)::int AS n FROM identity.refresh_tokens t JOIN identity.auth_sessions s ON s.id = t.session_id WHERE s.user_id = $1`, [userId])) as { n: number }[])[0].n;
    expect(await count(old.id)).toBe(0);
    expect(await count(live.id)).toBe(3);
  });
});
