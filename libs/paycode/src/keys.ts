import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** A public signing key as published in a JWKS (paycode.md "Keys"). */
export interface PaycodeJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  use: 'sig';
  alg: 'ES256';
}

/** The phone's public key inside a credential's `cnf.jwk`. */
export interface EcPublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

export interface Jwks {
  keys: readonly object[];
}

/** What mints server-issued codes and credentials: a private P-256 key and its kid. */
export interface PaycodeSigner {
  kid: string;
  privateKey: KeyObject;
}

export class InvalidJwksError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidJwksError';
  }
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/** A P-256 coordinate in base64url is 43 characters (32 bytes). */
function isCoordinate(v: unknown): v is string {
  return typeof v === 'string' && v.length === 43 && B64URL.test(v);
}

/** Checks and narrows an untrusted `{kty, crv, x, y}` (extra members are ignored). */
export function isEcP256PublicJwk(v: unknown): v is EcPublicJwk {
  if (!v || typeof v !== 'object') return false;
  const k = v as Record<string, unknown>;
  return k.kty === 'EC' && k.crv === 'P-256' && isCoordinate(k.x) && isCoordinate(k.y) && k.d === undefined;
}

/**
 * The DER of a P-256 SubjectPublicKeyInfo up to the point (RFC 5480: id-ecPublicKey,
 * prime256v1, a 66-byte BIT STRING), then 0x04 for an uncompressed point: x and y follow.
 */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d03010703420004', 'hex');

/**
 * Whether the SPKI DER route imports faster than the JWK one: with OpenSSL 3.5 (Node 24)
 * DER takes 13-15 us against 18-19 us; with OpenSSL 3.0 (Node 20) its decoders make it
 * 114 us against 58 us (`bench/paycode`, this machine).
 */
const [opensslMajor = 0, opensslMinor = 0] = (process.versions.openssl ?? '').split('.').map(Number);
const IMPORT_AS_DER = opensslMajor > 3 || (opensslMajor === 3 && opensslMinor >= 5);

/**
 * Imports a public P-256 JWK as a KeyObject; throws when it is not one (or not on the curve).
 * A cold phone-minted code costs one import, so the cheaper route of the runtime is taken
 * (both check the point the same way: one off the curve is refused).
 */
export function importEcPublicJwk(jwk: EcPublicJwk): KeyObject {
  return importEcPublicJwkAs(jwk, IMPORT_AS_DER ? 'der' : 'jwk');
}

/** importEcPublicJwk by a given route (exported for the tests of both routes on any runtime). */
export function importEcPublicJwkAs(jwk: EcPublicJwk, route: 'der' | 'jwk'): KeyObject {
  if (route === 'jwk') return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' });
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  if (x.length !== 32 || y.length !== 32) throw new TypeError('a P-256 coordinate is 32 bytes');
  return createPublicKey({ key: Buffer.concat([P256_SPKI_PREFIX, x, y]), format: 'der', type: 'spki' });
}

/** `{kty, crv, x, y}` of a P-256 key (public, or the public half of a private key). */
export function ecPublicJwk(key: KeyObject): EcPublicJwk {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError('not an EC P-256 key');
  }
  const jwk = publicKey.export({ format: 'jwk' });
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! };
}

/**
 * A short key id: the first 4 characters (24 bits) of the key's RFC 7638 JWK
 * thumbprint. Short on purpose: the kid is in every code's header and a
 * server-issued code has 256 characters in all (a handful of keys are ever
 * live; whoever stores keys keeps kids unique).
 */
export function paycodeKid(key: KeyObject): string {
  const { crv, kty, x, y } = ecPublicJwk(key);
  // RFC 7638: required members in lexicographic order, no whitespace
  const canonical = JSON.stringify({ crv, kty, x, y });
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 4);
}

/** The JWKS entry of a key: `{kty, crv, x, y, kid, use: "sig", alg: "ES256"}`. */
export function paycodeJwk(key: KeyObject, kid: string): PaycodeJwk {
  return { ...ecPublicJwk(key), kid, use: 'sig', alg: 'ES256' };
}

/**
 * A new P-256 key pair, safe to export as JWK at once. Node 20's generateKeyPairSync
 * returns KeyObjects that share a lock with the key-generation job; exporting one as
 * JWK allocates while holding that lock, and a garbage collection that destroys the
 * job at that moment takes the same lock: the process hangs for good (seen here, in
 * about half the runs of 5,000 signers). Generating DER and importing it gives keys
 * with no tie to the job.
 */
export function generateP256KeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  const { privateKey: der } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
    publicKeyEncoding: { type: 'spki', format: 'der' },
  });
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** A new P-256 signing key with its kid. */
export function generatePaycodeSigner(): PaycodeSigner {
  const { privateKey } = generateP256KeyPair();
  return { kid: paycodeKid(privateKey), privateKey };
}

/**
 * The verification side of a JWKS: every usable key imported once, by kid.
 * Entries that are not ES256 signing keys on P-256 are skipped (RFC 7517 lets
 * a set hold keys for other uses); a malformed set or a repeated kid throws.
 * Also caches, per instance, what verifyCode can reuse across scans.
 */
export class PaycodeKeySet {
  private readonly byKid = new Map<string, KeyObject>();
  /** header segment -> key (every code of one key has the same header). */
  readonly headerCache = new Map<string, { kid: string; key: KeyObject } | null>();
  /** credential string -> its verified claims and imported phone key. */
  readonly credentialCache = new Map<string, unknown>();
  readonly credentialCacheLimit: number;

  constructor(jwks: Jwks, options: { credentialCacheSize?: number } = {}) {
    if (!jwks || typeof jwks !== 'object' || !Array.isArray(jwks.keys)) throw new InvalidJwksError('a JWKS is an object with a "keys" array');
    for (const item of jwks.keys) {
      if (!item || typeof item !== 'object') throw new InvalidJwksError('every JWKS entry must be an object');
      const entry = item as Record<string, unknown>;
      if (entry.kty !== 'EC' || entry.crv !== 'P-256') continue;
      if (entry.alg !== undefined && entry.alg !== 'ES256') continue;
      if (entry.use !== undefined && entry.use !== 'sig') continue;
      if (typeof entry.kid !== 'string' || entry.kid.length === 0) throw new InvalidJwksError('every ES256 key needs a kid');
      if (this.byKid.has(entry.kid)) throw new InvalidJwksError(`kid ${entry.kid} appears twice`);
      const kid = entry.kid;
      if (!isEcP256PublicJwk(entry)) throw new InvalidJwksError(`key ${kid} is not a public P-256 JWK`);
      try {
        this.byKid.set(kid, importEcPublicJwk(entry));
      } catch (err) {
        throw new InvalidJwksError(`key ${kid} does not import: ${(err as Error).message}`);
      }
    }
    this.credentialCacheLimit = options.credentialCacheSize ?? 10_000;
  }

  /** A JWKS object (or a key set already built) as a key set; plain objects are built once and remembered. */
  static from(jwks: Jwks | PaycodeKeySet): PaycodeKeySet {
    if (jwks instanceof PaycodeKeySet) return jwks;
    let set = built.get(jwks);
    if (!set) {
      set = new PaycodeKeySet(jwks);
      built.set(jwks, set);
    }
    return set;
  }

  get(kid: string): KeyObject | undefined {
    return this.byKid.get(kid);
  }

  get kids(): string[] {
    return [...this.byKid.keys()];
  }
}

const built = new WeakMap<object, PaycodeKeySet>();
