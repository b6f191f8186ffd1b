import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { compactVerify, createLocalJWKSet, importJWK } from 'jose';
import { ecPublicJwk, generateP256KeyPair, mintCredential, mintProof, verifyCode } from '@app/paycode';
import { PaycodeKeysService } from '@app/paycode-keys';
import { RIDE_CODE_KEYS, type RideCodeKeys } from '@app/transit';
import { expectError, startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, registerUser } from '../support/factories.js';
import { balance } from '../support/payments.js';
import { makeOperator, makeRider, tap, upload, type TestOperator } from '../support/transit.js';

describe('transit: phone-minted ride codes (offline credentials)', () => {
  let app: TestApp;
  let admin: string;
  let op: TestOperator;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
    op = await makeOperator(app, admin);
  });
  afterAll(async () => {
    await app?.close();
  });

  const phone = () => {
    const { privateKey } = generateP256KeyPair();
    return { privateKey, publicKey: ecPublicJwk(privateKey) };
  };
  /** A phone key certified for `rider`, and the kid of the platform key that signed its credential. */
  const certifiedPhone = async (rider: { accessToken: string }) => {
    const p = phone();
    const cred = await app.request('POST', '/v1/transit/ride-credentials', { token: rider.accessToken, body: { publicKey: p.publicKey } });
    expect(cred.status).toBe(201);
    const credential = cred.body.credential as string;
    return { ...p, credential, kid: JSON.parse(Buffer.from(credential.split('.')[0], 'base64url').toString()).kid as string };
  };

  it('certifies the phone key for 24 h; codes it mints offline verify with jose and libs/paycode, board once per counter', async () => {
    const rider = await makeRider(app, admin, 1000);
    const p = phone();
    const res = await app.request('POST', '/v1/transit/ride-credentials', { token: rider.accessToken, body: { publicKey: p.publicKey } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ credential: expect.any(String), credentialId: expect.any(String), maxCodes: 200 });
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    const jwks = (await app.request('GET', '/v1/transit/keys')).body;

    const code1 = mintProof(res.body.credential, p.privateKey, { counter: 1, now: new Date() });
    const [credential, proof] = code1.split('~');
    // an independent JOSE implementation: the credential with the JWKS, the proof with the certified phone key
    const cred = JSON.parse(new TextDecoder().decode((await compactVerify(credential, createLocalJWKSet(jwks))).payload));
    expect(cred).toMatchObject({ use: 'ride-credential', jti: res.body.credentialId, max: 200, cnf: { jwk: { kty: 'EC', crv: 'P-256', x: p.publicKey.x, y: p.publicKey.y } } });
    expect(cred.exp - cred.iat).toBe(86_400);
    const claims = JSON.parse(new TextDecoder().decode((await compactVerify(proof, await importJWK(cred.cnf.jwk, 'ES256'))).payload));
    expect(claims).toMatchObject({ cid: res.body.credentialId, n: 1 });
    expect(verifyCode(code1, jwks, { now: Date.now(), use: 'ride' })).toMatchObject({ ok: true, kind: 'offline', counter: 1 });

    const code2 = mintProof(res.body.credential, p.privateKey, { counter: 2, now: new Date() });
    const reused = mintProof(res.body.credential, p.privateKey, { counter: 1, now: new Date(Date.now() + 1000) });
    const results = await upload(app, op.reader, [tap(code1, op.flat.code), tap(code2, op.flat.code), tap(reused, op.flat.code)]);
    expect(results.map((r) => [r.status, r.reason])).toEqual([
      ['CHARGED', undefined],
      ['CHARGED', undefined],
      ['REJECTED', 'CODE_ALREADY_USED'],
    ]);
    expect(await balance(app, rider)).toBe(600);
  });

  it('refuses a counter above maxCodes, an expired credential, a proof by another key, a credential signed by a key not ours', async () => {
    const rider = await makeRider(app, admin, 1000);
    const p = phone();
    const res = await app.request('POST', '/v1/transit/ride-credentials', { token: rider.accessToken, body: { publicKey: p.publicKey } });
    const sub = JSON.parse(Buffer.from(res.body.credential.split('.')[1], 'base64url').toString()).sub as string;
    // counter 201 of a 200-code credential: a tampered phone (mintProof itself refuses it)
    const signer = await app.api.app.get<RideCodeKeys>(RIDE_CODE_KEYS).signer();
    const big = mintCredential(signer, { sub, publicKey: p.publicKey, maxCodes: 300, now: new Date() });
    const overMax = mintProof(big.credential, p.privateKey, { counter: 250, now: new Date() });
    const stitched = `${res.body.credential}~${overMax.split('~')[1]}`;
    const expired = mintCredential(signer, { sub, publicKey: p.publicKey, maxCodes: 10, now: new Date(Date.now() - 25 * 3_600_000) });
    const other = phone();
    const wrongKey = mintProof(res.body.credential, p.privateKey, { counter: 3, now: new Date() }).split('~')[0] + '~' + mintProof(mintCredential(signer, { sub, publicKey: other.publicKey, maxCodes: 10, now: new Date() }).credential, other.privateKey, { counter: 3, now: new Date() }).split('~')[1];
    const { generatePaycodeSigner } = await import('@app/paycode');
    const foreign = mintCredential(generatePaycodeSigner(), { sub, publicKey: p.publicKey, maxCodes: 10, now: new Date() });
    const results = await upload(app, op.reader, [
      tap(stitched, op.flat.code),
      tap(mintProof(expired.credential, p.privateKey, { counter: 1, now: new Date() }), op.flat.code),
      tap(wrongKey, op.flat.code),
      tap(mintProof(foreign.credential, p.privateKey, { counter: 1, now: new Date() }), op.flat.code),
    ]);
    expect(results.map((r) => r.reason)).toEqual(['INVALID_CODE', 'INVALID_CODE', 'INVALID_CODE', 'INVALID_CODE']);
    expect(await balance(app, rider)).toBe(1000);
  });

  it('validates the public key, wants real name, and gives no credential in arrears', async () => {
    const rider = await makeRider(app, admin, 100);
    const p = phone();
    for (const publicKey of [{}, { ...p.publicKey, d: 'x'.repeat(43) }, { ...p.publicKey, crv: 'P-384' }, { ...p.publicKey, x: p.publicKey.y, y: p.publicKey.x }]) {
      expectError(await app.request('POST', '/v1/transit/ride-credentials', { token: rider.accessToken, body: { publicKey } }), 400, 'VALIDATION_FAILED');
    }
    expectError(await app.request('POST', '/v1/transit/ride-credentials', { token: rider.accessToken, body: {} }), 400, 'VALIDATION_FAILED');
    const anon = await registerUser(app);
    expectError(await app.request('POST', '/v1/transit/ride-credentials', { token: anon.accessToken, body: { publicKey: p.publicKey } }), 403, 'KYC_REQUIRED');
    const res = await app.request('POST', '/v1/transit/ride-credentials', { token: rider.accessToken, body: { publicKey: p.publicKey } });
    const [unpaid] = await upload(app, op.reader, [tap(mintProof(res.body.credential, p.privateKey, { counter: 1, now: new Date() }), op.flat.code)]);
    expect(unpaid.status).toBe('UNPAID');
    expectError(await app.request('POST', '/v1/transit/ride-credentials', { token: rider.accessToken, body: { publicKey: p.publicKey } }), 403, 'IN_ARREARS');
    // the credential already on the phone: its next codes are refused by the blocklist
    const [blocked] = await upload(app, op.reader, [tap(mintProof(res.body.credential, p.privateKey, { counter: 2, now: new Date(Date.now() + 1000) }), op.flat.code, { scannedAt: new Date(Date.now() + 1000).toISOString() })]);
    expect(blocked).toMatchObject({ status: 'REJECTED', reason: 'BLOCKED' });
  });

  it('after a key rotation, a server code and a credential signed by the old key still board until they expire; new ones carry the new kid', async () => {
    const rider = await makeRider(app, admin, 1000);
    const p = phone();
    const kidOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString()).kid as string;
    const oldCode = (await app.request('POST', '/v1/transit/ride-codes', { token: rider.accessToken })).body.code as string;
    const cred = await app.request('POST', '/v1/transit/ride-credentials', { token: rider.accessToken, body: { publicKey: p.publicKey } });
    expect(cred.status).toBe(201);
    const oldKid = kidOf(cred.body.credential);
    expect(kidOf(oldCode)).toBe(oldKid);
    const rotated = await app.request('POST', '/v1/admin/paycode-keys/rotate', { token: admin });
    expect(rotated.status).toBe(201);
    expect(rotated.body.kid).not.toBe(oldKid);
    const jwks = (await app.request('GET', '/v1/transit/keys')).body as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, rotated.body.kid]));
    const newCode = (await app.request('POST', '/v1/transit/ride-codes', { token: rider.accessToken })).body.code as string;
    expect(kidOf(newCode)).toBe(rotated.body.kid);
    const results = await upload(app, op.reader, [
      tap(oldCode, op.flat.code),
      tap(mintProof(cred.body.credential, p.privateKey, { counter: 1, now: new Date() }), op.flat.code),
      tap(newCode, op.flat.code),
    ]);
    expect(results.map((r) => r.status)).toEqual(['CHARGED', 'CHARGED', 'CHARGED']);
    expect(await balance(app, rider)).toBe(400);
  });
  it('a tap scanned while its key was published is charged when uploaded after the key left the JWKS', async () => {
    const rider = await makeRider(app, admin, 1000);
    const p = await certifiedPhone(rider);
    // a rotation whose publish time ends in 2 s (in production: 24 h, the credentials' life)
    const { retiredKid } = await app.api.app.get(PaycodeKeysService).rotate({ publishSeconds: 2 });
    expect(retiredKid).toBe(p.kid);
    // the reader accepts the code with the JWKS it has now, then uploads later
    const scannedAt = new Date();
    const boarded = tap(mintProof(p.credential, p.privateKey, { counter: 1, now: scannedAt }), op.flat.code, { scannedAt: scannedAt.toISOString() });
    const late = tap(mintProof(p.credential, p.privateKey, { counter: 2, now: new Date(Date.now() + 3_000) }), op.flat.code, {
      scannedAt: new Date(Date.now() + 3_000).toISOString(),
    });
    await new Promise((r) => setTimeout(r, 3_000));
    const jwks = (await app.request('GET', '/v1/transit/keys')).body as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).not.toContain(retiredKid);
    // the scan made while the key was published is charged; one made after its publish time is not
    const results = await upload(app, op.reader, [boarded, late]);
    expect(results.map((r) => [r.status, r.reason])).toEqual([
      ['CHARGED', undefined],
      ['REJECTED', 'INVALID_CODE'],
    ]);
    expect(await balance(app, rider)).toBe(800);
  });

  it('a credential whose key was rotated out of the JWKS no longer boards, though it has not expired', async () => {
    const rider = await makeRider(app, admin, 1000);
    const p = await certifiedPhone(rider);
    // scanned before the revocation, uploaded after: a compromised key's holder could date a forgery so
    const before = new Date();
    const scannedBefore = tap(mintProof(p.credential, p.privateKey, { counter: 2, now: before }), op.flat.code, { scannedAt: before.toISOString() });
    // rotated with no publish time: the old key leaves the JWKS at once (a compromised key)
    const { retiredKid } = await app.api.app.get(PaycodeKeysService).rotate({ publishSeconds: 0 });
    expect(retiredKid).toBe(p.kid);
    const jwks = (await app.request('GET', '/v1/transit/keys')).body as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).not.toContain(p.kid);
    const results = await upload(app, op.reader, [tap(mintProof(p.credential, p.privateKey, { counter: 1, now: new Date() }), op.flat.code), scannedBefore]);
    expect(results.map((r) => [r.status, r.reason])).toEqual([
      ['REJECTED', 'INVALID_CODE'],
      ['REJECTED', 'INVALID_CODE'],
    ]);
    expect(await balance(app, rider)).toBe(1000);
    // a new credential, signed by the current key, boards
    const fresh = await certifiedPhone(rider);
    expect(fresh.kid).not.toBe(p.kid);
    const [ok] = await upload(app, op.reader, [tap(mintProof(fresh.credential, fresh.privateKey, { counter: 1, now: new Date() }), op.flat.code)]);
    expect(ok.status).toBe('CHARGED');
  });
});
