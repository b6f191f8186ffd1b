import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import {
  CodeTooLongError,
  mintCredential,
  mintOnlineCode,
  mintProof,
  PaycodeInputError,
  type VerifiedOfflineCode,
  type VerifiedOnlineCode,
  verifyCode,
} from './codes.js';
import { ecPublicJwk, generateP256KeyPair, generatePaycodeSigner, InvalidJwksError, type Jwks, PaycodeKeySet, paycodeJwk, type PaycodeSigner } from './keys.js';

const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const signer = generatePaycodeSigner();
const other = generatePaycodeSigner();
const jwks: Jwks = { keys: [paycodeJwk(signer.privateKey, signer.kid), paycodeJwk(other.privateKey, other.kid)] };
const keys = new PaycodeKeySet(jwks);
const phone = () => generateP256KeyPair();
const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const RIDER = 'r_8Jk2mQ4xZ7';

function forge(s: PaycodeSigner | { kid: string; privateKey: KeyObject }, header: object, payload: object): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: s.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

function credentialFor(privateKeyOwner = phone(), opts: { max?: number; now?: number; s?: PaycodeSigner } = {}) {
  const minted = mintCredential(opts.s ?? signer, { sub: RIDER, publicKey: ecPublicJwk(privateKeyOwner.publicKey), maxCodes: opts.max ?? 20, now: opts.now ?? T0 });
  return { ...minted, phoneKey: privateKeyOwner.privateKey };
}

describe('server-issued codes', () => {
  it('mints a compact JWS exactly as paycode.md: header {alg, kid}, claims jti/use/sub/iat/exp = iat + 60, at most 256 characters', () => {
    const { code, jti, iat, exp } = mintOnlineCode(signer, { use: 'ride', sub: RIDER, now: T0 + 700 });
    const [h, p] = code.split('.');
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'ES256', kid: signer.kid });
    expect(JSON.parse(Buffer.from(p, 'base64url').toString())).toEqual({ jti, use: 'ride', sub: RIDER, iat: T0 / 1000, exp: T0 / 1000 + 60 });
    expect(iat).toBe(T0 / 1000);
    expect(exp).toBe(iat + 60);
    expect(code.length).toBeLessThanOrEqual(256);
  });

  it('verifies with jose, an independent implementation, against the JWKS', async () => {
    const { code } = mintOnlineCode(signer, { use: 'card', sub: 'c8Jk2m', aud: 'tju', now: T0 });
    const { payload, protectedHeader } = await compactVerify(code, createLocalJWKSet(jwks as never));
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: signer.kid });
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ use: 'card', sub: 'c8Jk2m', aud: 'tju' });
    expect(decodeProtectedHeader(code).kid).toBe(signer.kid);
  });

  it('verifies with verifyCode, with the claims', () => {
    const { code, jti } = mintOnlineCode(signer, { use: 'card', sub: 'c8Jk2m', aud: 'tju', now: T0 });
    const r = verifyCode(code, jwks, { now: T0 + 1000, use: 'card', audience: 'tju' }) as VerifiedOnlineCode;
    expect(r).toEqual({ ok: true, kind: 'online', kid: signer.kid, use: 'card', jti, sub: 'c8Jk2m', aud: 'tju', iat: T0 / 1000, exp: T0 / 1000 + 60, singleUseKey: jti });
  });

  it('refuses a code that would be longer than 256 characters', () => {
    expect(() => mintOnlineCode(signer, { use: 'ride', sub: 'x'.repeat(120), now: T0 })).toThrow(CodeTooLongError);
    // what fits (default 12-character jti, 4-character kid): a ride sub of 18; a card sub of 6 with an aud of 4
    expect(mintOnlineCode(signer, { use: 'ride', sub: 'x'.repeat(18), now: T0 }).code.length).toBeLessThanOrEqual(256);
    expect(() => mintOnlineCode(signer, { use: 'ride', sub: 'x'.repeat(22), now: T0 })).toThrow(CodeTooLongError);
    expect(mintOnlineCode(signer, { use: 'card', sub: 'x'.repeat(6), aud: 'y'.repeat(4), now: T0 }).code.length).toBeLessThanOrEqual(256);
    expect(() => mintOnlineCode(signer, { use: 'card', sub: 'x'.repeat(8), aud: 'y'.repeat(6), now: T0 })).toThrow(CodeTooLongError);
  });

  it('accepts from iat - 5 s to exp + grace, and not a millisecond outside', () => {
    const { code } = mintOnlineCode(signer, { use: 'ride', sub: RIDER, now: T0 });
    const at = (ms: number, graceSeconds = 0) => verifyCode(code, keys, { now: ms, use: 'ride', graceSeconds });
    expect(at(T0 - 5000).ok).toBe(true);
    expect(at(T0 - 5001)).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'NOT_YET_VALID' });
    expect(at(T0 + 60_000).ok).toBe(true);
    expect(at(T0 + 60_001)).toEqual({ ok: false, reason: 'CODE_EXPIRED', detail: 'EXPIRED' });
    expect(at(T0 + 90_000, 30).ok).toBe(true);
    expect(at(T0 + 90_001, 30)).toEqual({ ok: false, reason: 'CODE_EXPIRED', detail: 'EXPIRED' });
    expect(verifyCode(code, keys, { now: new Date(T0 + 1), use: 'ride' }).ok).toBe(true);
  });

  it('a card code is never a ride code, and the reverse', () => {
    const card = mintOnlineCode(signer, { use: 'card', sub: 'c1', aud: 'u1', now: T0 }).code;
    const ride = mintOnlineCode(signer, { use: 'ride', sub: RIDER, now: T0 }).code;
    expect(verifyCode(card, keys, { now: T0, use: 'ride' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'WRONG_USE' });
    expect(verifyCode(ride, keys, { now: T0, use: 'card' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'WRONG_USE' });
  });

  it('refuses another audience when one is required', () => {
    const card = mintOnlineCode(signer, { use: 'card', sub: 'c1', aud: 'u1', now: T0 }).code;
    expect(verifyCode(card, keys, { now: T0, use: 'card', audience: 'u2' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'WRONG_AUDIENCE' });
  });

  it('refuses a blocked rider (after the signature and time checks)', () => {
    const { code } = mintOnlineCode(signer, { use: 'ride', sub: RIDER, now: T0 });
    expect(verifyCode(code, keys, { now: T0, use: 'ride', blocklist: new Set([RIDER]) })).toEqual({ ok: false, reason: 'BLOCKED', detail: 'BLOCKED' });
    expect(verifyCode(code, keys, { now: T0, use: 'ride', blocklist: new Set(['someone else']) }).ok).toBe(true);
  });

  it('refuses an unknown kid, a key not in the set, and a forged signature', () => {
    const stranger = generatePaycodeSigner();
    const { code } = mintOnlineCode(stranger, { use: 'ride', sub: RIDER, now: T0 });
    expect(verifyCode(code, keys, { now: T0, use: 'ride' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'UNKNOWN_KEY' });
    // a stranger's signature under our kid
    const impostor = mintOnlineCode({ kid: signer.kid, privateKey: stranger.privateKey }, { use: 'ride', sub: RIDER, now: T0 }).code;
    expect(verifyCode(impostor, keys, { now: T0, use: 'ride' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'BAD_SIGNATURE' });
  });

  it('refuses any tampering of the header, the payload or the signature', () => {
    const { code } = mintOnlineCode(signer, { use: 'ride', sub: RIDER, now: T0 });
    const [h, p, s] = code.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tampered = [
      `${b64({ alg: 'ES256', kid: other.kid })}.${p}.${s}`,
      `${b64({ alg: 'ES256', kid: signer.kid, x: 1 })}.${p}.${s}`,
      `${b64({ alg: 'none', kid: signer.kid })}.${p}.${s}`,
      `${h}.${b64({ ...payload, sub: 'r_other' })}.${s}`,
      `${h}.${b64({ ...payload, exp: payload.exp + 3600 })}.${s}`,
      `${h}.${b64({ ...payload, use: 'card' })}.${s}`,
      `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`,
      `${h}.${p}.${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`,
      `${h}.${p}.${s.slice(0, -1)}`,
      `${h}.${p}`,
      `${h}.${p}.${s}.`,
      `${h}.${p}.${s}=`,
      `.${p}.${s}`,
      '',
      'not a code',
    ];
    for (const t of tampered) {
      const r = verifyCode(t, keys, { now: T0, use: 'ride' });
      expect(r.ok).toBe(false);
      expect(r.ok === false && r.reason).toBe('INVALID_CODE');
    }
  });

  it('fast-check: any single changed character of a code is refused INVALID_CODE', () => {
    const { code } = mintOnlineCode(signer, { use: 'ride', sub: RIDER, now: T0 });
    fc.assert(
      fc.property(fc.nat(code.length - 1), fc.constantFrom(...'AQgwBz09-_.~'), (i, ch) => {
        fc.pre(code[i] !== ch);
        const r = verifyCode(code.slice(0, i) + ch + code.slice(i + 1), keys, { now: T0, use: 'ride' });
        expect(r.ok === false && r.reason).toBe('INVALID_CODE');
      }),
    );
  });

  it('refuses well-signed codes whose claims break the format (exp != iat + 60, missing sub, non-integer times)', () => {
    const base = { jti: 'j1', use: 'ride', sub: 'r1', iat: T0 / 1000, exp: T0 / 1000 + 60 };
    for (const payload of [{ ...base, exp: base.iat + 3600 }, { ...base, sub: undefined }, { ...base, sub: '' }, { ...base, iat: base.iat + 0.5 }, { ...base, jti: 7 }, { ...base, aud: 5 }]) {
      const code = forge(signer, { alg: 'ES256', kid: signer.kid }, payload);
      expect(verifyCode(code, keys, { now: T0, use: 'ride' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'MALFORMED' });
    }
    const crit = forge(signer, { alg: 'ES256', kid: signer.kid, crit: ['x'], x: 1 }, base);
    expect(verifyCode(crit, keys, { now: T0, use: 'ride' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'MALFORMED' });
  });

  it('refuses a code longer than 256 characters before any work', () => {
    const code = forge(signer, { alg: 'ES256', kid: signer.kid }, { jti: 'j', use: 'ride', sub: 'x'.repeat(200), iat: T0 / 1000, exp: T0 / 1000 + 60 });
    expect(verifyCode(code, keys, { now: T0, use: 'ride' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'TOO_LONG' });
  });

  it('fast-check: mint then verify gives the claims back, for any sub, use and time; jose agrees', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.constantFrom('ride' as const, 'card' as const),
        fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }),
        fc.integer({ min: -5000, max: 60_000 }),
        async (sub, use, now, delta) => {
          const minted = mintOnlineCode(signer, { use, sub, now });
          const r = verifyCode(minted.code, keys, { now: minted.iat * 1000 + delta, use });
          expect(r).toMatchObject({ ok: true, sub, use, jti: minted.jti, iat: minted.iat });
          const { payload } = await compactVerify(minted.code, createLocalJWKSet(jwks as never));
          expect(JSON.parse(new TextDecoder().decode(payload)).sub).toBe(sub);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('offline-minted ride codes', () => {
  it('the code is <credential>~<proof> as paycode.md, checkable with jose', async () => {
    const p = phone();
    const c = credentialFor(p);
    const code = mintProof(c.credential, p.privateKey, { counter: 1, now: T0 + 2000 });
    const [credential, proof] = code.split('~');
    expect(credential).toBe(c.credential);
    expect(code.length).toBeLessThanOrEqual(700);
    const cred = await compactVerify(credential, createLocalJWKSet(jwks as never));
    const claims = JSON.parse(new TextDecoder().decode(cred.payload));
    expect(claims).toEqual({ jti: c.credentialId, use: 'ride-credential', sub: RIDER, cnf: { jwk: ecPublicJwk(p.publicKey) }, iat: T0 / 1000, exp: T0 / 1000 + 86400, max: 20 });
    const pr = await compactVerify(proof, p.publicKey);
    expect(pr.protectedHeader).toEqual({ alg: 'ES256' });
    expect(JSON.parse(new TextDecoder().decode(pr.payload))).toEqual({ cid: c.credentialId, n: 1, iat: T0 / 1000 + 2 });
  });

  it('verifies with verifyCode, single use keyed by (credential, counter)', () => {
    const p = phone();
    const c = credentialFor(p);
    const code = mintProof(c.credential, p.privateKey, { counter: 7, now: T0 + 10_000 });
    const r = verifyCode(code, jwks, { now: T0 + 12_000, use: 'ride' }) as VerifiedOfflineCode;
    expect(r).toEqual({
      ok: true,
      kind: 'offline',
      kid: signer.kid,
      use: 'ride',
      sub: RIDER,
      credentialId: c.credentialId,
      counter: 7,
      maxCodes: 20,
      credentialExp: T0 / 1000 + 86400,
      iat: T0 / 1000 + 10,
      exp: T0 / 1000 + 70,
      singleUseKey: `${c.credentialId}#7`,
    });
  });

  it('a phone may hold its key as a JWK', () => {
    const p = phone();
    const c = credentialFor(p);
    const code = mintProof(c.credential, p.privateKey.export({ format: 'jwk' }), { counter: 1, now: T0 });
    expect(verifyCode(code, keys, { now: T0, use: 'ride' }).ok).toBe(true);
  });

  it('scan window [iat - 5 s, iat + 60 s + grace] by the proof time', () => {
    const p = phone();
    const c = credentialFor(p);
    const code = mintProof(c.credential, p.privateKey, { counter: 1, now: T0 + 3600_000 });
    const iatMs = T0 + 3600_000;
    const fresh = () => new PaycodeKeySet(jwks);
    expect(verifyCode(code, fresh(), { now: iatMs - 5000, use: 'ride' }).ok).toBe(true);
    expect(verifyCode(code, fresh(), { now: iatMs - 5001, use: 'ride' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'NOT_YET_VALID' });
    expect(verifyCode(code, fresh(), { now: iatMs + 60_000, use: 'ride' }).ok).toBe(true);
    expect(verifyCode(code, fresh(), { now: iatMs + 60_001, use: 'ride' })).toEqual({ ok: false, reason: 'CODE_EXPIRED', detail: 'EXPIRED' });
    expect(verifyCode(code, fresh(), { now: iatMs + 75_000, use: 'ride', graceSeconds: 15 }).ok).toBe(true);
  });

  it('refuses a credential past its expiry (INVALID_CODE), even with a fresh proof', () => {
    const p = phone();
    const c = credentialFor(p);
    const end = (T0 / 1000 + 86400) * 1000;
    const late = mintProof(c.credential, p.privateKey, { counter: 1, now: end });
    expect(verifyCode(late, keys, { now: end, use: 'ride' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'CREDENTIAL_EXPIRED' });
    const justBefore = mintProof(c.credential, p.privateKey, { counter: 2, now: end - 1000 });
    expect(verifyCode(justBefore, keys, { now: end - 1, use: 'ride' }).ok).toBe(true);
  });

  it('refuses a counter outside 1..max', () => {
    const p = phone();
    const c = credentialFor(p, { max: 3 });
    expect(() => mintProof(c.credential, p.privateKey, { counter: 4, now: T0 })).toThrow(PaycodeInputError);
    expect(() => mintProof(c.credential, p.privateKey, { counter: 0, now: T0 })).toThrow(PaycodeInputError);
    // a phone that ignores its limit: signs the proof itself
    for (const n of [0, 4, -1, 1.5]) {
      const proof = forge({ kid: '', privateKey: p.privateKey }, { alg: 'ES256' }, { cid: c.credentialId, n, iat: T0 / 1000 });
      const r = verifyCode(`${c.credential}~${proof}`, keys, { now: T0, use: 'ride' });
      expect(r).toEqual({ ok: false, reason: 'INVALID_CODE', detail: Number.isInteger(n) ? 'COUNTER_OUT_OF_RANGE' : 'MALFORMED' });
    }
    expect(verifyCode(mintProof(c.credential, p.privateKey, { counter: 3, now: T0 }), keys, { now: T0, use: 'ride' }).ok).toBe(true);
  });

  it('refuses a proof signed by another key, and a proof for another credential', () => {
    const p = phone();
    const thief = phone();
    const c = credentialFor(p);
    const proof = forge({ kid: '', privateKey: thief.privateKey }, { alg: 'ES256' }, { cid: c.credentialId, n: 1, iat: T0 / 1000 });
    expect(verifyCode(`${c.credential}~${proof}`, keys, { now: T0, use: 'ride' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'BAD_PROOF' });
    expect(() => mintProof(c.credential, thief.privateKey, { counter: 1, now: T0 })).toThrow(PaycodeInputError);
    const c2 = credentialFor(p);
    const otherProof = mintProof(c2.credential, p.privateKey, { counter: 1, now: T0 }).split('~')[1];
    expect(verifyCode(`${c.credential}~${otherProof}`, keys, { now: T0, use: 'ride' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'CREDENTIAL_MISMATCH' });
  });

  it('refuses a credential from a key no longer published, and a server-issued code in place of a credential', () => {
    const p = phone();
    const c = credentialFor(p);
    const code = mintProof(c.credential, p.privateKey, { counter: 1, now: T0 });
    const rotatedOut = new PaycodeKeySet({ keys: [paycodeJwk(other.privateKey, other.kid)] });
    expect(verifyCode(code, rotatedOut, { now: T0, use: 'ride' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'UNKNOWN_KEY' });
    const ride = mintOnlineCode(signer, { use: 'ride', sub: RIDER, now: T0 }).code;
    expect(verifyCode(`${ride}~${code.split('~')[1]}`, keys, { now: T0, use: 'ride' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'WRONG_USE' });
  });

  it('is never a card code', () => {
    const p = phone();
    const c = credentialFor(p);
    const code = mintProof(c.credential, p.privateKey, { counter: 1, now: T0 });
    expect(verifyCode(code, keys, { now: T0, use: 'card' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'WRONG_USE' });
  });

  it('refuses a blocked rider', () => {
    const p = phone();
    const c = credentialFor(p);
    const code = mintProof(c.credential, p.privateKey, { counter: 1, now: T0 });
    expect(verifyCode(code, keys, { now: T0, use: 'ride', blocklist: new Set([RIDER]) })).toEqual({ ok: false, reason: 'BLOCKED', detail: 'BLOCKED' });
  });

  it('refuses tampering of the credential or the proof, with or without the credential cache', () => {
    const p = phone();
    const c = credentialFor(p);
    const code = mintProof(c.credential, p.privateKey, { counter: 2, now: T0 });
    const [cred, proof] = code.split('~');
    const [ch, cp, cs] = cred.split('.');
    const [ph, pp, ps] = proof.split('.');
    const claims = JSON.parse(Buffer.from(cp, 'base64url').toString());
    const proofClaims = JSON.parse(Buffer.from(pp, 'base64url').toString());
    const tampered = [
      `${ch}.${b64({ ...claims, max: 1000 })}.${cs}~${proof}`,
      `${ch}.${b64({ ...claims, sub: 'r_other' })}.${cs}~${proof}`,
      `${ch}.${b64({ ...claims, cnf: { jwk: ecPublicJwk(phone().publicKey) } })}.${cs}~${proof}`,
      `${ch}.${b64({ ...claims, exp: claims.exp + 86400 })}.${cs}~${proof}`,
      `${cred}~${ph}.${b64({ ...proofClaims, n: 3 })}.${ps}`,
      `${cred}~${ph}.${b64({ ...proofClaims, iat: proofClaims.iat + 600 })}.${ps}`,
      `${cred}~${ph}.${pp}.${ps.slice(0, -2)}AA`,
      `${cred}~${proof}~${proof}`,
      `${cred}~`,
      `~${proof}`,
      `${cred}~${proof}`.replace(/.$/, (x) => (x === 'A' ? 'Q' : 'A')),
    ];
    for (const cache of [true, false]) {
      const set = new PaycodeKeySet(jwks, { credentialCacheSize: cache ? 100 : 0 });
      expect(verifyCode(code, set, { now: T0, use: 'ride' }).ok).toBe(true);
      for (const t of tampered) {
        const r = verifyCode(t, set, { now: T0 + 1000, use: 'ride' });
        expect(r.ok === false && r.reason).toBe('INVALID_CODE');
      }
    }
  });

  it('refuses a credential with a cnf key that is not on the curve or a lifetime other than 24 h', () => {
    const p = phone();
    const jwk = ecPublicJwk(p.publicKey);
    const bad = { ...jwk, y: jwk.x };
    const base = { jti: 'cred1', use: 'ride-credential', sub: RIDER, cnf: { jwk }, iat: T0 / 1000, exp: T0 / 1000 + 86400, max: 5 };
    const proof = forge({ kid: '', privateKey: p.privateKey }, { alg: 'ES256' }, { cid: 'cred1', n: 1, iat: T0 / 1000 });
    const good = forge(signer, { alg: 'ES256', kid: signer.kid }, base);
    expect(verifyCode(`${good}~${proof}`, keys, { now: T0, use: 'ride' }).ok).toBe(true);
    for (const claims of [{ ...base, cnf: { jwk: bad } }, { ...base, exp: base.iat + 7 * 86400 }, { ...base, max: 0 }, { ...base, cnf: undefined }]) {
      const cred = forge(signer, { alg: 'ES256', kid: signer.kid }, claims);
      expect(verifyCode(`${cred}~${proof}`, keys, { now: T0, use: 'ride' })).toEqual({ ok: false, reason: 'INVALID_CODE', detail: 'MALFORMED' });
    }
  });

  it('mintCredential refuses a public key that is not P-256, or not on the curve', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => mintCredential(signer, { sub: RIDER, publicKey: rsa.publicKey.export({ format: 'jwk' }) as never, maxCodes: 5, now: T0 })).toThrow(PaycodeInputError);
    const jwk = ecPublicJwk(phone().publicKey);
    expect(() => mintCredential(signer, { sub: RIDER, publicKey: { ...jwk, y: jwk.x }, maxCodes: 5, now: T0 })).toThrow(PaycodeInputError);
    expect(() => mintCredential(signer, { sub: RIDER, publicKey: jwk, maxCodes: 0, now: T0 })).toThrow(PaycodeInputError);
  });

  it('fast-check: any counter 1..max at any time in the window verifies, with the same answer from jose for both parts', async () => {
    const p = phone();
    const c = credentialFor(p, { max: 50 });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 86_000_000 }), fc.integer({ min: -5000, max: 60_000 }), async (n, at, delta) => {
        const code = mintProof(c.credential, p.privateKey, { counter: n, now: T0 + at });
        const iatMs = Math.floor((T0 + at) / 1000) * 1000;
        const r = verifyCode(code, keys, { now: Math.min(iatMs + delta, (T0 / 1000 + 86400) * 1000 - 1), use: 'ride' });
        expect(r).toMatchObject({ ok: true, counter: n, credentialId: c.credentialId });
        const [cred, proof] = code.split('~');
        await compactVerify(cred, createLocalJWKSet(jwks as never));
        await compactVerify(proof, p.publicKey);
      }),
      { numRuns: 40 },
    );
  });
});

describe('key sets', () => {
  it('keeps several live keys: codes of each verify', () => {
    for (const s of [signer, other]) {
      const { code } = mintOnlineCode(s, { use: 'ride', sub: RIDER, now: T0 });
      expect(verifyCode(code, keys, { now: T0, use: 'ride' })).toMatchObject({ ok: true, kid: s.kid });
    }
    expect(keys.kids.sort()).toEqual([signer.kid, other.kid].sort());
  });

  it('skips keys for other algorithms and refuses a malformed set or a repeated kid', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    expect(new PaycodeKeySet({ keys: [{ ...rsa, kid: 'r1' }, paycodeJwk(signer.privateKey, signer.kid)] }).kids).toEqual([signer.kid]);
    expect(() => new PaycodeKeySet({} as Jwks)).toThrow(InvalidJwksError);
    expect(() => new PaycodeKeySet({ keys: [jwks.keys[0], jwks.keys[0]] })).toThrow(InvalidJwksError);
    expect(() => new PaycodeKeySet({ keys: [{ ...jwks.keys[0], kid: undefined }] })).toThrow(InvalidJwksError);
    expect(() => new PaycodeKeySet({ keys: [{ ...jwks.keys[0], y: (jwks.keys[0] as { x: string }).x }] })).toThrow(InvalidJwksError);
  });

  it('a plain JWKS object is built into a key set once', () => {
    const plain: Jwks = { keys: [paycodeJwk(signer.privateKey, signer.kid)] };
    expect(PaycodeKeySet.from(plain)).toBe(PaycodeKeySet.from(plain));
    expect(PaycodeKeySet.from(keys)).toBe(keys);
  });

  it('bad options are a programming error, not a refusal', () => {
    const { code } = mintOnlineCode(signer, { use: 'ride', sub: RIDER, now: T0 });
    expect(() => verifyCode(code, keys, { now: T0, use: 'ride', graceSeconds: 31 })).toThrow(RangeError);
    expect(() => verifyCode(code, keys, { now: NaN, use: 'ride' })).toThrow(TypeError);
    expect(() => verifyCode(code, keys, { now: T0, use: 'bus' as never })).toThrow(TypeError);
  });
});
