/**
 * Offline-minted ride codes (paycode.md "Offline-minted ride codes"), in the
 * browser with Web Crypto: the phone makes an EC P-256 key pair whose private
 * half never leaves it (a non-extractable CryptoKey kept in IndexedDB), gets
 * a 24 h credential for the public half while online, and with no network
 * signs a proof per boarding: compact JWS {"alg":"ES256"} over
 * {cid, n, iat}; the code is `<credential>~<proof>`. Each counter is taken
 * in an IndexedDB transaction before it is signed, so none is ever used twice
 * (not by two tabs either). The format is libs/paycode's mintProof.
 */
import { post } from '../../api/client';
import type { RideCredential } from '../../api/types';

export interface StoredCredential extends RideCredential {
  /** The next counter to use (1..maxCodes). */
  next: number;
  privateKey: CryptoKey;
}

export interface OfflineCode {
  code: string;
  expiresAt: string;
  counter: number;
  remaining: number;
}

const DB_NAME = 'citypay-transit';
const STORE = 'credentials';
const KEY = 'current';
/** A proof lives 60 s from its iat, like a server-issued code. */
export const OFFLINE_CODE_SECONDS = 60;
/** A new credential is fetched online when less than this is left of the old one. */
const RENEW_BEFORE_MS = 6 * 3600_000;
const RENEW_BELOW_CODES = 20;

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore, done: (value: T) => void) => void): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      let result: T;
      work(tx.objectStore(STORE), (v) => (result = v));
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

export function loadCredential(): Promise<StoredCredential | undefined> {
  return withStore<StoredCredential | undefined>('readonly', (store, done) => {
    const req = store.get(KEY);
    req.onsuccess = () => done(req.result as StoredCredential | undefined);
  });
}

export async function clearCredential(): Promise<void> {
  if (typeof indexedDB === 'undefined') return;
  await withStore<void>('readwrite', (store) => void store.delete(KEY));
}

function usable(c: StoredCredential | undefined, now: number, marginMs = 0): c is StoredCredential {
  return !!c && Date.parse(c.expiresAt) - marginMs > now && c.next <= c.maxCodes;
}

/**
 * Online: keeps a credential with time and codes to spare, asking for a new
 * one (new key pair) when it is missing, expiring within 6 h or nearly used up.
 */
export async function ensureCredential(now = Date.now()): Promise<StoredCredential> {
  const current = await loadCredential();
  if (usable(current, now, RENEW_BEFORE_MS) && current.maxCodes - current.next >= RENEW_BELOW_CODES) return current;
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const issued = await post<RideCredential>('/v1/transit/ride-credentials', { publicKey: { kty, crv, x, y } });
  const stored: StoredCredential = { ...issued, next: 1, privateKey: pair.privateKey };
  await withStore<void>('readwrite', (store) => void store.put(stored, KEY));
  return stored;
}

/** Takes the next counter for good (or nothing when the credential is expired or used up). */
function takeCounter(now: number): Promise<StoredCredential | undefined> {
  return withStore<StoredCredential | undefined>('readwrite', (store, done) => {
    const req = store.get(KEY);
    req.onsuccess = () => {
      const c = req.result as StoredCredential | undefined;
      if (!usable(c, now)) return done(undefined);
      store.put({ ...c, next: c.next + 1 }, KEY);
      done(c);
    };
  });
}

const base64url = (bytes: Uint8Array): string => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
const segment = (value: unknown): string => base64url(new TextEncoder().encode(JSON.stringify(value)));

/** The proof JWS: Web Crypto's ECDSA signature is already JWS's r||s (IEEE P1363), 64 bytes. */
export async function signProof(credentialId: string, counter: number, iat: number, privateKey: CryptoKey): Promise<string> {
  const input = `${segment({ alg: 'ES256' })}.${segment({ cid: credentialId, n: counter, iat })}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, new TextEncoder().encode(input));
  return `${input}.${base64url(new Uint8Array(signature))}`;
}

/** A ride code minted here, with no network; undefined without a usable credential. */
export async function mintOfflineCode(now = Date.now()): Promise<OfflineCode | undefined> {
  const c = await takeCounter(now);
  if (!c) return undefined;
  const iat = Math.floor(now / 1000);
  const proof = await signProof(c.credentialId, c.next, iat, c.privateKey);
  const expires = Math.min((iat + OFFLINE_CODE_SECONDS) * 1000, Date.parse(c.expiresAt));
  return { code: `${c.credential}~${proof}`, expiresAt: new Date(expires).toISOString(), counter: c.next, remaining: c.maxCodes - c.next };
}
