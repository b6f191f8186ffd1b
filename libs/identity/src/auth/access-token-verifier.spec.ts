import { describe, expect, it } from '@jest/globals';
import { createHmac, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AccessTokenVerifier, bearerToken, IAT_SKEW_SECONDS } from './access-token-verifier.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256-0123456789';
const ISSUER = 'city-pay';
const AUDIENCE = 'city-pay-api';
const verifier = new AccessTokenVerifier(SECRET, ISSUER, AUDIENCE);
const sub = randomUUID();
const sid = randomUUID();

/** As TokensService signs them (@nestjs/jwt, i.e. jsonwebtoken). */
const sign = (payload: object, options: jwt.SignOptions = {}, secret = SECRET): string =>
  jwt.sign(payload, secret, { algorithm: 'HS256', issuer: ISSUER, audience: AUDIENCE, expiresIn: 900, ...options });

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A token assembled by hand (header and claims as given), signed with SECRET. */
function forge(header: object, claims: object, secret = SECRET): string {
  const body = `${b64(header)}.${b64(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
const now = () => Math.floor(Date.now() / 1000);
const goodClaims = () => ({ sub, sid, iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 900 });

describe('AccessTokenVerifier', () => {
  it('accepts the tokens TokensService signs, and gives back sub and sid', () => {
    expect(verifier.verify(sign({ sub, sid }))).toEqual({ sub, sid });
    expect(verifier.verify(forge({ alg: 'HS256', typ: 'JWT' }, { ...goodClaims(), aud: ['other', AUDIENCE] }))).toEqual({ sub, sid });
  });

  it('refuses a token signed with another key, or altered after signing', () => {
    expect(verifier.verify(sign({ sub, sid }, {}, `${SECRET}x`))).toBeUndefined();
    const token = sign({ sub, sid });
    const [h, , s] = token.split('.');
    expect(verifier.verify(`${h}.${b64({ ...goodClaims(), sub: randomUUID() })}.${s}`)).toBeUndefined();
    // the same signature bytes written differently (a trailing character, padding) are not the signature
    expect(verifier.verify(`${token}A`)).toBeUndefined();
    expect(verifier.verify(`${token}=`)).toBeUndefined();
    expect(verifier.verify(`${h}.${token.split('.')[1]}.`)).toBeUndefined();
  });

  it('refuses every algorithm but HS256, "none" included', () => {
    expect(verifier.verify(forge({ alg: 'none' }, goodClaims()))).toBeUndefined();
    expect(verifier.verify(`${b64({ alg: 'none' })}.${b64(goodClaims())}.`)).toBeUndefined();
    expect(verifier.verify(forge({ alg: 'HS512' }, goodClaims()))).toBeUndefined();
    expect(verifier.verify(forge({ alg: 'hs256' }, goodClaims()))).toBeUndefined();
    expect(verifier.verify(forge({}, goodClaims()))).toBeUndefined();
  });

  it('refuses another issuer or audience', () => {
    expect(verifier.verify(sign({ sub, sid }, { issuer: 'someone-else' }))).toBeUndefined();
    expect(verifier.verify(sign({ sub, sid }, { audience: 'another-api' }))).toBeUndefined();
    expect(verifier.verify(forge({ alg: 'HS256' }, { ...goodClaims(), aud: undefined }))).toBeUndefined();
    expect(verifier.verify(forge({ alg: 'HS256' }, { ...goodClaims(), iss: undefined }))).toBeUndefined();
  });

  it('refuses expired tokens, tokens without exp or iat, and tokens issued in the future', () => {
    expect(verifier.verify(forge({ alg: 'HS256' }, { ...goodClaims(), iat: now() - 1000, exp: now() - 100 }))).toBeUndefined();
    expect(verifier.verify(forge({ alg: 'HS256' }, { ...goodClaims(), exp: now() }))).toBeUndefined();
    expect(verifier.verify(forge({ alg: 'HS256' }, { ...goodClaims(), exp: undefined }))).toBeUndefined();
    expect(verifier.verify(forge({ alg: 'HS256' }, { ...goodClaims(), iat: undefined }))).toBeUndefined();
    expect(verifier.verify(forge({ alg: 'HS256' }, { ...goodClaims(), exp: String(now() + 900) }))).toBeUndefined();
    expect(verifier.verify(forge({ alg: 'HS256' }, { ...goodClaims(), iat: now() + IAT_SKEW_SECONDS + 10, exp: now() + 2000 }))).toBeUndefined();
    expect(verifier.verify(forge({ alg: 'HS256' }, { ...goodClaims(), iat: now() + 900, exp: now() + 900 }))).toBeUndefined();
    // a token is checked against the time given
    const token = sign({ sub, sid });
    expect(verifier.verify(token, Date.now() + 901_000)).toBeUndefined();
    expect(verifier.verify(token, Date.now() + 899_000)).toEqual({ sub, sid });
  });

  it('honours nbf when present', () => {
    expect(verifier.verify(forge({ alg: 'HS256' }, { ...goodClaims(), nbf: now() + 60 }))).toBeUndefined();
    expect(verifier.verify(forge({ alg: 'HS256' }, { ...goodClaims(), nbf: 'soon' }))).toBeUndefined();
    expect(verifier.verify(forge({ alg: 'HS256' }, { ...goodClaims(), nbf: now() - 1 }))).toEqual({ sub, sid });
  });

  it('refuses claims without a UUID sub and sid, and payloads that are not objects', () => {
    expect(verifier.verify(sign({ sub: 'admin', sid }))).toBeUndefined();
    expect(verifier.verify(sign({ sub }))).toBeUndefined();
    expect(verifier.verify(forge({ alg: 'HS256' }, { ...goodClaims(), sid: 42 }))).toBeUndefined();
    const body = `${b64({ alg: 'HS256' })}.${Buffer.from('[1,2]').toString('base64url')}`;
    expect(verifier.verify(`${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`)).toBeUndefined();
    const notJson = `${b64({ alg: 'HS256' })}.${Buffer.from('{nope').toString('base64url')}`;
    expect(verifier.verify(`${notJson}.${createHmac('sha256', SECRET).update(notJson).digest('base64url')}`)).toBeUndefined();
  });

  it('refuses what is not a compact JWT', () => {
    for (const bad of ['', '.', '..', 'a.b', 'a.b.c.d', `${sign({ sub, sid })}.x`, 'a b.c.d', '.b.c', 'a..c']) {
      expect(verifier.verify(bad)).toBeUndefined();
    }
  });
});

describe('bearerToken', () => {
  it('takes the token of a Bearer header, whatever the case of the scheme', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken(['Bearer a', 'Bearer b'])).toBeUndefined();
  });
});
