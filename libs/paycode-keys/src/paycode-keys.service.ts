import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { createPrivateKey } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { RequestMeta } from '@app/common';
import { PaycodeKeysConfig } from './paycode-keys.config.js';
import { isUniqueViolation, sqlState } from '@app/database';
import { AuditService, SecretBox } from '@app/identity';
import {
  CLOCK_SKEW_SECONDS,
  CREDENTIAL_LIFETIME_SECONDS,
  generatePaycodeSigner,
  MAX_GRACE_SECONDS,
  type PaycodeJwk,
  paycodeJwk,
  PaycodeKeySet,
  type PaycodeSigner,
} from '@app/paycode';

/**
 * How long a key stays published after it stops signing: the longest-lived
 * thing it signs is a ride credential (24 h), whose codes a reader accepts up
 * to its expiry; plus the clock skew and the grace of api.md.
 */
export const RETIRED_KEY_PUBLISH_SECONDS = CREDENTIAL_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS + MAX_GRACE_SECONDS;

/** Another replica may rotate: the current key is re-read at most this long after it was loaded. */
const SIGNER_CACHE_MS = 5_000;

/** Serialises rotations across processes. */
const ROTATE_LOCK_KEY = 7_310_460;

export interface PaycodeKeysJwks {
  keys: PaycodeJwk[];
}

/**
 * The platform keys that sign pay codes and ride credentials, shared by
 * transit and campus (which never import each other). Private keys are kept
 * sealed with AES-256-GCM (PAYCODE_KEY_ENCRYPTION_KEY, bound to their kid) and
 * are never logged; a key is created on first start, the JWKS publishes
 * every key still live, and a rotation keeps the old key published until
 * everything it signed has expired.
 */
@Injectable()
export class PaycodeKeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger('PaycodeKeys');
  private readonly box: SecretBox;
  private cached?: { signer: PaycodeSigner; loadedAt: number };

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    @Inject(PaycodeKeysConfig) config: PaycodeKeysConfig,
  ) {
    if (!config.PAYCODE_KEY_ENCRYPTION_KEY) throw new Error('PAYCODE_KEY_ENCRYPTION_KEY is not set');
    this.box = new SecretBox(config.PAYCODE_KEY_ENCRYPTION_KEY);
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.signer();
    } catch (err) {
      // a start with MIGRATIONS_RUN=false before `npm run db:migrate`: the key is made on first use
      if (sqlState(err) !== '42P01') throw err;
      this.logger.warn('paycode.signing_keys does not exist yet (migrations pending): the signing key is created on first use');
    }
  }

  /** The current signing key (created on first use if the platform has none). */
  async signer(): Promise<PaycodeSigner> {
    if (this.cached && Date.now() - this.cached.loadedAt < SIGNER_CACHE_MS) return this.cached.signer;
    const signer = (await this.loadCurrent()) ?? (await this.createFirstKey());
    this.cached = { signer, loadedAt: Date.now() };
    return signer;
  }

  /** `{keys}` of every key still live: the current one and those retired less than their publish time ago. Newest first. */
  async jwks(): Promise<PaycodeKeysJwks> {
    const rows = (await this.dataSource.query(
      `SELECT public_jwk FROM paycode.signing_keys WHERE retire_after IS NULL OR retire_after > now() ORDER BY created_at DESC, kid`,
    )) as { public_jwk: PaycodeJwk }[];
    return { keys: rows.map((r) => r.public_jwk) };
  }

  /**
   * Every key that was in the JWKS at some time since `since`, with the end
   * of its publish time (null: the current key): a code scanned offline is
   * checked against the keys readers had at its scan time, however late its
   * upload (the published JWKS drops a retired key once its publish time
   * ends, which may be before a reader's upload). A key revoked at once
   * (`publishSeconds` 0: a compromised key) is left out: its holder could
   * forge codes dated before the revocation.
   */
  async keysInForceSince(since: Date): Promise<{ jwk: PaycodeJwk; retireAfter: Date | null }[]> {
    const rows = (await this.dataSource.query(
      `SELECT public_jwk, retire_after FROM paycode.signing_keys
        WHERE retire_after IS NULL OR (retire_after > $1 AND retire_after > retired_at) ORDER BY created_at DESC, kid`,
      [since],
    )) as { public_jwk: PaycodeJwk; retire_after: Date | null }[];
    return rows.map((r) => ({ jwk: r.public_jwk, retireAfter: r.retire_after }));
  }

  /**
   * A new current key; the previous one stops signing now and stays in the
   * JWKS for `publishSeconds` (default: until everything it signed has
   * expired). Concurrent rotations run one after the other.
   */
  async rotate(options: { actorUserId?: string; meta?: RequestMeta; publishSeconds?: number } = {}): Promise<{ kid: string; retiredKid: string | null }> {
    const publishSeconds = options.publishSeconds ?? RETIRED_KEY_PUBLISH_SECONDS;
    if (!Number.isSafeInteger(publishSeconds) || publishSeconds < 0) throw new RangeError('publishSeconds must be a non-negative integer');
    // a 4-character kid may, very rarely, be taken already: another key then
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.rotateOnce(generatePaycodeSigner(), publishSeconds, options);
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 3) throw err;
      }
    }
  }

  private async rotateOnce(
    fresh: PaycodeSigner,
    publishSeconds: number,
    options: { actorUserId?: string; meta?: RequestMeta },
  ): Promise<{ kid: string; retiredKid: string | null }> {
    const retiredKid = await this.dataSource.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock($1)`, [ROTATE_LOCK_KEY]);
      const retired = (await m.query(
        `UPDATE paycode.signing_keys SET retired_at = now(), retire_after = now() + make_interval(secs => $1)
          WHERE retired_at IS NULL RETURNING kid`,
        [publishSeconds],
      )) as [{ kid: string }[], number];
      const previous = retired[0][0]?.kid ?? null;
      await this.insert(m, fresh);
      await this.audit.record(
        {
          action: 'PAYCODE_KEY_ROTATED',
          actorUserId: options.actorUserId ?? null,
          targetType: 'paycode_key',
          targetId: fresh.kid,
          details: { retiredKid: previous, publishSeconds },
          meta: options.meta,
        },
        m,
      );
      return previous;
    });
    this.cached = { signer: fresh, loadedAt: Date.now() };
    this.logger.log(`pay-code signing key rotated: ${fresh.kid} signs from now on${retiredKid ? `, ${retiredKid} stays published for ${publishSeconds} s` : ''}`);
    return { kid: fresh.kid, retiredKid };
  }

  private async loadCurrent(): Promise<PaycodeSigner | undefined> {
    const [row] = (await this.dataSource.query(`SELECT kid, private_key_sealed FROM paycode.signing_keys WHERE retired_at IS NULL`)) as {
      kid: string;
      private_key_sealed: Buffer;
    }[];
    return row ? this.open(row.kid, row.private_key_sealed) : undefined;
  }

  /** Concurrent first starts each try; the partial unique index keeps one, and every process then reads that one. */
  private async createFirstKey(): Promise<PaycodeSigner> {
    // (three tries: a fresh 4-character kid may, very rarely, be one a retired key has)
    for (let attempt = 0; attempt < 3; attempt++) {
      const fresh = generatePaycodeSigner();
      if (await this.insert(this.dataSource.manager, fresh, true)) this.logger.log(`pay-code signing key created: ${fresh.kid}`);
      const current = await this.loadCurrent();
      if (current) return current;
    }
    throw new Error('no current pay-code signing key after creating one');
  }

  private async insert(m: { query: DataSource['query'] }, signer: PaycodeSigner, ifNoneCurrent = false): Promise<boolean> {
    const pkcs8 = signer.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    const result = (await m.query(
      `INSERT INTO paycode.signing_keys (kid, public_jwk, private_key_sealed) VALUES ($1, $2, $3)${ifNoneCurrent ? ' ON CONFLICT DO NOTHING' : ''} RETURNING kid`,
      [signer.kid, JSON.stringify(paycodeJwk(signer.privateKey, signer.kid)), this.box.seal(pkcs8, aad(signer.kid))],
    )) as { kid: string }[];
    return result.length === 1;
  }

  private open(kid: string, sealed: Buffer): PaycodeSigner {
    let pkcs8: string;
    try {
      pkcs8 = this.box.open(sealed, aad(kid));
    } catch {
      // never the key or the ciphertext in a message
      throw new Error(`pay-code signing key ${kid} does not decrypt: PAYCODE_KEY_ENCRYPTION_KEY is not the key it was sealed with`);
    }
    return { kid, privateKey: createPrivateKey({ key: Buffer.from(pkcs8, 'base64'), format: 'der', type: 'pkcs8' }) };
  }
}

/** Binds a sealed key to its row: a ciphertext copied onto another kid does not decrypt. */
const aad = (kid: string): string => `paycode-signing-key:${kid}`;

/**
 * The key set terminals had at each time, from keysInForceSince(): one
 * PaycodeKeySet per distinct set of keys (an upload's times mostly share one).
 */
export function keySetsAt(keys: readonly { jwk: object; retireAfter: Date | null }[]): (at: Date) => PaycodeKeySet {
  const sets = new Map<string, PaycodeKeySet>();
  return (at) => {
    const live = keys.filter((k) => k.retireAfter === null || k.retireAfter > at);
    const id = live.map((k) => (k.jwk as { kid?: string }).kid).join(',');
    let set = sets.get(id);
    if (!set) sets.set(id, (set = new PaycodeKeySet({ keys: live.map((k) => k.jwk) })));
    return set;
  };
}
