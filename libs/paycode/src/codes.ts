import { createPrivateKey, type JsonWebKey, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import {
  type EcPublicJwk,
  ecPublicJwk,
  importEcPublicJwk,
  isEcP256PublicJwk,
  type Jwks,
  PaycodeKeySet,
  type PaycodeSigner,
} from './keys.js';

/** paycode.md: a server-issued code fits a small QR code. */
export const MAX_ONLINE_CODE_LENGTH = 256;
/**
 * `<credential>~<proof>`. paycode.md says 600, which the claims it prescribes
 * cannot meet: two ES256 signatures, the headers and the credential's cnf
 * JWK alone come to 618 characters with a 12-character credential id and an
 * empty sub. 700 leaves room for a credential id of 12 and a sub of up to
 * about 40 characters (QR version 17 at level L holds it).
 */
export const MAX_OFFLINE_CODE_LENGTH = 700;
/** A server-issued code, and an offline proof, live 60 s from `iat`. */
export const CODE_LIFETIME_SECONDS = 60;
/** A credential lives 24 h from its `iat`. */
export const CREDENTIAL_LIFETIME_SECONDS = 24 * 60 * 60;
/** A reader accepts a code from `iat - 5 s` (clocks differ a little). */
export const CLOCK_SKEW_SECONDS = 5;
/** api.md: the grace after expiry is at most 30 s. */
export const MAX_GRACE_SECONDS = 30;

export type CodeUse = 'ride' | 'card';

/** The API error code a refusal maps to (api.md tap rules). */
export type RefusalReason = 'INVALID_CODE' | 'CODE_EXPIRED' | 'BLOCKED';

/** Why, more precisely (for logs and tests; the API answers with `reason`). */
export type RefusalDetail =
  | 'MALFORMED'
  | 'TOO_LONG'
  | 'UNKNOWN_KEY'
  | 'BAD_SIGNATURE'
  | 'WRONG_USE'
  | 'WRONG_AUDIENCE'
  | 'NOT_YET_VALID'
  | 'EXPIRED'
  | 'CREDENTIAL_EXPIRED'
  | 'BAD_PROOF'
  | 'CREDENTIAL_MISMATCH'
  | 'COUNTER_OUT_OF_RANGE'
  | 'BLOCKED';

export interface CodeRefusal {
  ok: false;
  reason: RefusalReason;
  detail: RefusalDetail;
}

interface VerifiedCommon {
  ok: true;
  /** kid of the platform key that signed the code (online) or the credential (offline). */
  kid: string;
  use: CodeUse;
  sub: string;
  /** When the code was made and when it expires (seconds since the epoch); exp = iat + 60. */
  iat: number;
  exp: number;
  /** What single use is enforced on: the jti, or `<credentialId>#<counter>`. */
  singleUseKey: string;
}

export interface VerifiedOnlineCode extends VerifiedCommon {
  kind: 'online';
  jti: string;
  aud?: string;
}

export interface VerifiedOfflineCode extends VerifiedCommon {
  kind: 'offline';
  use: 'ride';
  credentialId: string;
  counter: number;
  maxCodes: number;
  credentialExp: number;
}

export type VerifiedCode = VerifiedOnlineCode | VerifiedOfflineCode;
export type CodeVerification = VerifiedCode | CodeRefusal;

export interface VerifyCodeOptions {
  /** Scan time: a Date or milliseconds since the epoch. */
  now: Date | number;
  /** Which kind of code this reader takes: a card code is never a ride code, and the reverse. */
  use: CodeUse;
  /** Riders (or cards) whose codes are refused; a Set will do. */
  blocklist?: { has(sub: string): boolean };
  /** Seconds accepted after expiry, 0 to 30 (api.md); default 0. */
  graceSeconds?: number;
  /** Server-issued codes: the `aud` required (card codes: the university id). */
  audience?: string;
}

/** A mint call was given something it cannot make a valid code from. */
export class PaycodeInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaycodeInputError';
  }
}

/** A minted code would not fit its limit (256 or 600 characters): shorter sub, aud or jti. */
export class CodeTooLongError extends PaycodeInputError {
  constructor(
    readonly length: number,
    readonly limit: number,
  ) {
    super(`the code would be ${length} characters, more than ${limit}`);
    this.name = 'CodeTooLongError';
  }
}

// ---------------------------------------------------------------- minting

const seconds = (now: Date | number): number => Math.floor((typeof now === 'number' ? now : now.getTime()) / 1000);

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function signCompact(header: object, payload: object, key: KeyObject): string {
  const input = `${segment(header)}.${segment(payload)}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

function requireText(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw new PaycodeInputError(`${name} must be a non-empty string`);
}

function checkSigner(signer: PaycodeSigner): void {
  requireText('signer.kid', signer?.kid);
  if (signer.privateKey?.type !== 'private' || signer.privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new PaycodeInputError('signer.privateKey must be a private EC P-256 key');
  }
}

/** A fresh code id: 9 random bytes (72 bits), 12 characters; short because a code has 256 characters in all. */
export function newCodeId(): string {
  return randomBytes(9).toString('base64url');
}

export interface MintOnlineCodeInput {
  use: CodeUse;
  /**
   * Rider reference or card id: opaque and short. The whole code has 256
   * characters: with the default 12-character jti, a ride code has room for a
   * sub of about 18 ASCII characters, a card code for sub + aud of about 10
   * (e.g. a 6-character card reference and a 4-character university code).
   */
  sub: string;
  /** Card codes: the university id. */
  aud?: string;
  /** Default: 12 random characters (newCodeId). */
  jti?: string;
  now: Date | number;
}

export interface MintedCode {
  code: string;
  jti: string;
  iat: number;
  exp: number;
}

/**
 * A server-issued code (paycode.md "Server-issued codes"): compact JWS,
 * header {alg: ES256, kid}, payload {jti, use, sub, aud?, iat, exp = iat + 60}.
 * Throws CodeTooLongError beyond 256 characters.
 */
export function mintOnlineCode(signer: PaycodeSigner, input: MintOnlineCodeInput): MintedCode {
  checkSigner(signer);
  if (input.use !== 'ride' && input.use !== 'card') throw new PaycodeInputError('use must be "ride" or "card"');
  requireText('sub', input.sub);
  if (input.aud !== undefined) requireText('aud', input.aud);
  const jti = input.jti ?? newCodeId();
  requireText('jti', jti);
  const iat = seconds(input.now);
  const exp = iat + CODE_LIFETIME_SECONDS;
  const payload: Record<string, unknown> = { jti, use: input.use, sub: input.sub };
  if (input.aud !== undefined) payload.aud = input.aud;
  payload.iat = iat;
  payload.exp = exp;
  const code = signCompact({ alg: 'ES256', kid: signer.kid }, payload, signer.privateKey);
  if (code.length > MAX_ONLINE_CODE_LENGTH) throw new CodeTooLongError(code.length, MAX_ONLINE_CODE_LENGTH);
  return { code, jti, iat, exp };
}

export interface MintCredentialInput {
  /** Rider reference (as in ride codes). */
  sub: string;
  /** The phone's public key. */
  publicKey: EcPublicJwk;
  maxCodes: number;
  now: Date | number;
  /** Default: 12 random characters (newCodeId). */
  credentialId?: string;
}

export interface MintedCredential {
  credential: string;
  credentialId: string;
  iat: number;
  exp: number;
  maxCodes: number;
}

/**
 * The platform's signed statement binding a rider to a phone key
 * (paycode.md "Offline-minted ride codes", step 1): payload {jti, use:
 * "ride-credential", sub, cnf: {jwk}, iat, exp = iat + 24 h, max}.
 */
export function mintCredential(signer: PaycodeSigner, input: MintCredentialInput): MintedCredential {
  checkSigner(signer);
  requireText('sub', input.sub);
  if (!isEcP256PublicJwk(input.publicKey)) throw new PaycodeInputError('publicKey must be a public EC P-256 JWK {kty, crv, x, y}');
  try {
    importEcPublicJwk(input.publicKey);
  } catch {
    throw new PaycodeInputError('publicKey is not a point on P-256');
  }
  if (!Number.isSafeInteger(input.maxCodes) || input.maxCodes < 1) throw new PaycodeInputError('maxCodes must be a positive integer');
  const credentialId = input.credentialId ?? newCodeId();
  requireText('credentialId', credentialId);
  const iat = seconds(input.now);
  const exp = iat + CREDENTIAL_LIFETIME_SECONDS;
  const { kty, crv, x, y } = input.publicKey;
  const credential = signCompact(
    { alg: 'ES256', kid: signer.kid },
    { jti: credentialId, use: 'ride-credential', sub: input.sub, cnf: { jwk: { kty, crv, x, y } }, iat, exp, max: input.maxCodes },
    signer.privateKey,
  );
  return { credential, credentialId, iat, exp, maxCodes: input.maxCodes };
}

/**
 * On the phone, offline: signs a proof {cid, n: counter, iat: now} with the
 * phone's private key and answers the code `<credential>~<proof>`. The
 * counter must be 1..max of the credential (the phone never reuses one).
 */
export function mintProof(credential: string, privateKey: KeyObject | JsonWebKey, input: { counter: number; now: Date | number }): string {
  const claims = decodePayload(credential.split('.')[1] ?? '');
  if (!claims || claims.use !== 'ride-credential' || typeof claims.jti !== 'string' || !Number.isSafeInteger(claims.max)) {
    throw new PaycodeInputError('not a ride credential');
  }
  const key = isKeyObject(privateKey) ? privateKey : createPrivateKey({ key: privateKey, format: 'jwk' });
  if (key.type !== 'private') throw new PaycodeInputError('privateKey must be a private key');
  const own = ecPublicJwk(key);
  const cnf = (claims.cnf as { jwk?: EcPublicJwk } | undefined)?.jwk;
  if (!cnf || cnf.x !== own.x || cnf.y !== own.y) throw new PaycodeInputError('privateKey is not the key this credential certifies');
  if (!Number.isSafeInteger(input.counter) || input.counter < 1 || input.counter > (claims.max as number)) {
    throw new PaycodeInputError(`counter must be an integer from 1 to ${String(claims.max)}`);
  }
  const proof = signCompact({ alg: 'ES256' }, { cid: claims.jti, n: input.counter, iat: seconds(input.now) }, key);
  const code = `${credential}~${proof}`;
  if (code.length > MAX_OFFLINE_CODE_LENGTH) throw new CodeTooLongError(code.length, MAX_OFFLINE_CODE_LENGTH);
  return code;
}

function isKeyObject(k: unknown): k is KeyObject {
  return typeof k === 'object' && k !== null && typeof (k as KeyObject).asymmetricKeyType === 'string' && typeof (k as KeyObject).export === 'function';
}

// ---------------------------------------------------------------- verifying

const refuse = (reason: RefusalReason, detail: RefusalDetail): CodeRefusal => ({ ok: false, reason, detail });
const INVALID = (detail: RefusalDetail): CodeRefusal => refuse('INVALID_CODE', detail);

/** An ES256 signature is 64 bytes: 86 base64url characters, the last carrying 2 bits (A, Q, g or w). */
const SIGNATURE = /^[A-Za-z0-9_-]{85}[AQgw]$/;

function decodePayload(seg: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

interface Parsed {
  kid: string | undefined;
  key: KeyObject | undefined;
  claims: Record<string, unknown>;
}

const HEADER_CACHE_LIMIT = 256;

/** `{"alg":"ES256"}`, the header of every proof mintProof signs. */
const PROOF_HEADER = segment({ alg: 'ES256' });

/**
 * Splits a compact JWS, checks the header, finds the key (by kid in the key
 * set, or the given one) and verifies the signature over the exact segments
 * received. Returns the claims, or a refusal.
 */
function verifyCompact(jws: string, keys: PaycodeKeySet | null, fixedKey?: KeyObject): Parsed | CodeRefusal {
  const dot1 = jws.indexOf('.');
  const dot2 = jws.indexOf('.', dot1 + 1);
  if (dot1 <= 0 || dot2 <= dot1 + 1 || jws.indexOf('.', dot2 + 1) !== -1) return INVALID('MALFORMED');
  const headerSeg = jws.slice(0, dot1);
  const sigSeg = jws.slice(dot2 + 1);
  if (!SIGNATURE.test(sigSeg)) return INVALID('MALFORMED');

  let key: KeyObject | undefined;
  let kid: string | undefined;
  if (keys) {
    let found = keys.headerCache.get(headerSeg);
    if (found === undefined) {
      const header = decodePayload(headerSeg);
      if (!header || header.alg !== 'ES256' || header.crit !== undefined || !isText(header.kid)) return INVALID('MALFORMED');
      const k = keys.get(header.kid);
      found = k ? { kid: header.kid, key: k } : null;
      if (keys.headerCache.size >= HEADER_CACHE_LIMIT) keys.headerCache.clear();
      keys.headerCache.set(headerSeg, found);
    }
    if (found === null) return INVALID('UNKNOWN_KEY');
    ({ kid, key } = found);
  } else {
    // a phone's proof: the header mintProof writes is compared, not decoded
    if (headerSeg !== PROOF_HEADER) {
      const header = decodePayload(headerSeg);
      if (!header || header.alg !== 'ES256' || header.crit !== undefined) return INVALID('MALFORMED');
    }
    key = fixedKey;
  }
  const ok = verify('sha256', Buffer.from(jws.slice(0, dot2)), { key: key!, dsaEncoding: 'ieee-p1363' }, Buffer.from(sigSeg, 'base64url'));
  if (!ok) return INVALID('BAD_SIGNATURE');
  const claims = decodePayload(jws.slice(dot1 + 1, dot2));
  if (!claims) return INVALID('MALFORMED');
  return { kid, key, claims };
}

interface CredentialClaims {
  kid: string;
  jti: string;
  sub: string;
  exp: number;
  max: number;
  phoneKey: KeyObject;
}

function checkOptions(options: VerifyCodeOptions): { nowMs: number; grace: number } {
  const nowMs = typeof options.now === 'number' ? options.now : options.now?.getTime?.();
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) throw new TypeError('verifyCode: now must be a Date or epoch milliseconds');
  if (options.use !== 'ride' && options.use !== 'card') throw new TypeError('verifyCode: use must be "ride" or "card"');
  const grace = options.graceSeconds ?? 0;
  if (!(grace >= 0 && grace <= MAX_GRACE_SECONDS)) throw new RangeError(`verifyCode: graceSeconds must be 0 to ${MAX_GRACE_SECONDS}`);
  return { nowMs, grace };
}

/** `[iat - 5 s, iat + 60 s + grace]`, in milliseconds of scan time. */
function timeRefusal(nowMs: number, iat: number, exp: number, grace: number): CodeRefusal | undefined {
  if (nowMs < (iat - CLOCK_SKEW_SECONDS) * 1000) return INVALID('NOT_YET_VALID');
  if (nowMs > (exp + grace) * 1000) return refuse('CODE_EXPIRED', 'EXPIRED');
  return undefined;
}

/**
 * Verifies a scanned code offline, either kind (paycode.md): a server-issued
 * compact JWS, or `<credential>~<proof>` minted by a phone. Answers the
 * verified claims, or a refusal with its API reason (INVALID_CODE,
 * CODE_EXPIRED, BLOCKED). Never throws for a bad code; throws only for bad
 * options (a programming error).
 */
export function verifyCode(code: string, jwks: Jwks | PaycodeKeySet, options: VerifyCodeOptions): CodeVerification {
  const { nowMs, grace } = checkOptions(options);
  const keys = PaycodeKeySet.from(jwks);
  if (typeof code !== 'string') return INVALID('MALFORMED');
  const tilde = code.indexOf('~');
  return tilde === -1 ? verifyOnline(code, keys, options, nowMs, grace) : verifyOffline(code, tilde, keys, options, nowMs, grace);
}

function verifyOnline(code: string, keys: PaycodeKeySet, options: VerifyCodeOptions, nowMs: number, grace: number): CodeVerification {
  if (code.length > MAX_ONLINE_CODE_LENGTH) return INVALID('TOO_LONG');
  const parsed = verifyCompact(code, keys);
  if ('ok' in parsed) return parsed;
  const c = parsed.claims;
  if (!isText(c.jti) || !isText(c.sub) || !isTime(c.iat) || !isTime(c.exp) || (c.aud !== undefined && !isText(c.aud))) return INVALID('MALFORMED');
  if (c.exp !== c.iat + CODE_LIFETIME_SECONDS) return INVALID('MALFORMED');
  if (c.use !== options.use) return INVALID('WRONG_USE');
  if (options.audience !== undefined && c.aud !== options.audience) return INVALID('WRONG_AUDIENCE');
  const late = timeRefusal(nowMs, c.iat, c.exp, grace);
  if (late) return late;
  if (options.blocklist?.has(c.sub)) return refuse('BLOCKED', 'BLOCKED');
  const verified: VerifiedOnlineCode = { ok: true, kind: 'online', kid: parsed.kid!, use: c.use as CodeUse, jti: c.jti, sub: c.sub, iat: c.iat, exp: c.exp, singleUseKey: c.jti };
  if (c.aud !== undefined) verified.aud = c.aud;
  return verified;
}

function verifyCredential(credential: string, keys: PaycodeKeySet): CredentialClaims | CodeRefusal {
  const cached = keys.credentialCache.get(credential) as CredentialClaims | undefined;
  if (cached) return cached;
  const parsed = verifyCompact(credential, keys);
  if ('ok' in parsed) return parsed;
  const c = parsed.claims;
  if (c.use !== 'ride-credential') return INVALID('WRONG_USE');
  if (!isText(c.jti) || !isText(c.sub) || !isTime(c.iat) || !isTime(c.exp) || !Number.isSafeInteger(c.max) || (c.max as number) < 1) {
    return INVALID('MALFORMED');
  }
  if (c.exp !== c.iat + CREDENTIAL_LIFETIME_SECONDS) return INVALID('MALFORMED');
  const jwk = (c.cnf as { jwk?: unknown } | undefined)?.jwk;
  if (!isEcP256PublicJwk(jwk)) return INVALID('MALFORMED');
  let phoneKey: KeyObject;
  try {
    phoneKey = importEcPublicJwk(jwk);
  } catch {
    return INVALID('MALFORMED');
  }
  const claims: CredentialClaims = { kid: parsed.kid!, jti: c.jti, sub: c.sub, exp: c.exp, max: c.max as number, phoneKey };
  if (keys.credentialCacheLimit > 0) {
    if (keys.credentialCache.size >= keys.credentialCacheLimit) {
      // forget the oldest (Map keeps insertion order)
      keys.credentialCache.delete(keys.credentialCache.keys().next().value!);
    }
    keys.credentialCache.set(credential, claims);
  }
  return claims;
}

function verifyOffline(code: string, tilde: number, keys: PaycodeKeySet, options: VerifyCodeOptions, nowMs: number, grace: number): CodeVerification {
  if (code.length > MAX_OFFLINE_CODE_LENGTH) return INVALID('TOO_LONG');
  // phone-minted codes are ride codes only
  if (options.use !== 'ride') return INVALID('WRONG_USE');
  const credential = verifyCredential(code.slice(0, tilde), keys);
  if ('ok' in credential) return credential;
  if (nowMs >= credential.exp * 1000) return INVALID('CREDENTIAL_EXPIRED');
  const parsed = verifyCompact(code.slice(tilde + 1), null, credential.phoneKey);
  if ('ok' in parsed) return parsed.detail === 'BAD_SIGNATURE' ? INVALID('BAD_PROOF') : parsed;
  const p = parsed.claims;
  if (!isText(p.cid) || !Number.isSafeInteger(p.n) || !isTime(p.iat)) return INVALID('MALFORMED');
  if (p.cid !== credential.jti) return INVALID('CREDENTIAL_MISMATCH');
  const n = p.n as number;
  if (n < 1 || n > credential.max) return INVALID('COUNTER_OUT_OF_RANGE');
  const exp = p.iat + CODE_LIFETIME_SECONDS;
  const late = timeRefusal(nowMs, p.iat, exp, grace);
  if (late) return late;
  if (options.blocklist?.has(credential.sub)) return refuse('BLOCKED', 'BLOCKED');
  return {
    ok: true,
    kind: 'offline',
    kid: credential.kid,
    use: 'ride',
    sub: credential.sub,
    credentialId: credential.jti,
    counter: n,
    maxCodes: credential.max,
    credentialExp: credential.exp,
    iat: p.iat,
    exp,
    singleUseKey: `${credential.jti}#${n}`,
  };
}
