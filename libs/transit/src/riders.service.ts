import { Inject, Injectable } from '@nestjs/common';
import QRCode from 'qrcode';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { IdempotencyService, ValidationFailedError } from '@app/common';
import { withTransactionRetry } from '@app/database';
import { WalletService } from '@app/ledger';
import { isEcP256PublicJwk, mintCredential, mintOnlineCode, newCodeId, PaycodeInputError, type Jwks } from '@app/paycode';
import { RIDE_CODE_KEYS, type RideCodeKeys } from './ride-code-keys.js';
import { RidersRepository, type RiderRow } from './riders.repository.js';
import { InArrearsError } from './transit.errors.js';
import { ChargesService } from './charges.service.js';

export interface RideCodeView {
  code: string;
  expiresAt: string;
  qrSvg: string;
}

/** How many codes a phone may mint with one credential (one a boarding; a day holds far fewer). */
export const MAX_CODES_PER_CREDENTIAL = 200;

export interface RideCredentialView {
  credential: string;
  credentialId: string;
  expiresAt: string;
  maxCodes: number;
}

export interface BlocklistView {
  version: number;
  /** full: every blocked rider (blocked: true); delta: each rider whose state changed after `since`. */
  full: boolean;
  entries: { sub: string; blocked: boolean }[];
}

/** Riders: their opaque reference (the `sub` of ride codes), ride codes, the blocklist, arrears. */
@Injectable()
export class RidersService {
  readonly repo = new RidersRepository();

  constructor(
    private readonly dataSource: DataSource,
    private readonly wallets: WalletService,
    private readonly charges: ChargesService,
    private readonly idempotency: IdempotencyService,
    @Inject(RIDE_CODE_KEYS) private readonly keys: RideCodeKeys,
  ) {}

  /** The rider of this user, made on first need (with the CNY wallet account fares are paid from). */
  async rider(userId: string, m: EntityManager = this.dataSource.manager): Promise<RiderRow> {
    const found = await this.repo.byUser(m, userId);
    if (found) return found;
    const wallet = await this.wallets.walletAccount(userId, 'CNY', m);
    return this.repo.ensure(m, userId, newCodeId(), wallet.id);
  }

  async issueRideCode(userId: string, now = new Date()): Promise<RideCodeView> {
    const rider = await this.rider(userId);
    if (rider.in_arrears) throw new InArrearsError();
    const minted = mintOnlineCode(await this.keys.signer(), { use: 'ride', sub: rider.ref, now });
    return {
      code: minted.code,
      expiresAt: new Date(minted.exp * 1000).toISOString(),
      qrSvg: await QRCode.toString(minted.code, { type: 'svg', errorCorrectionLevel: 'L', margin: 2 }),
    };
  }

  /**
   * paycode.md "Offline-minted ride codes": the platform's signed statement
   * binding this rider to the phone's P-256 public key for 24 h; the phone
   * then mints up to maxCodes codes offline. None while in arrears.
   */
  async issueCredential(userId: string, publicKey: unknown, now = new Date()): Promise<RideCredentialView> {
    if (!isEcP256PublicJwk(publicKey)) {
      throw new ValidationFailedError([{ field: 'publicKey', problems: ['must be a public EC P-256 JWK {kty: "EC", crv: "P-256", x, y} (43-character base64url coordinates, no "d")'] }]);
    }
    const rider = await this.rider(userId);
    if (rider.in_arrears) throw new InArrearsError();
    try {
      const minted = mintCredential(await this.keys.signer(), { sub: rider.ref, publicKey, maxCodes: MAX_CODES_PER_CREDENTIAL, now });
      return { credential: minted.credential, credentialId: minted.credentialId, expiresAt: new Date(minted.exp * 1000).toISOString(), maxCodes: minted.maxCodes };
    } catch (err) {
      if (err instanceof PaycodeInputError) throw new ValidationFailedError([{ field: 'publicKey', problems: [err.message] }]);
      throw err;
    }
  }

  jwks(): Promise<Jwks> {
    return this.keys.jwks();
  }

  /** Without `since` (or 0): the full list; with it, the changes after that version. One snapshot. */
  async blocklist(since?: number): Promise<BlocklistView> {
    return this.dataSource.transaction('REPEATABLE READ', async (m) => {
      const version = await this.repo.blocklistVersion(m);
      if (!since) return { version, full: true, entries: (await this.repo.blocked(m)).map((sub) => ({ sub, blocked: true })) };
      if (since >= version) return { version, full: false, entries: [] };
      return { version, full: false, entries: (await this.repo.changesSince(m, since)).map((r) => ({ sub: r.rider_ref, blocked: r.blocked })) };
    });
  }

  /** Pays every UNPAID trip from the wallet in one transaction (402 when it cannot pay them all), then lifts the block. */
  async payArrears(userId: string): Promise<{ paidTrips: number; total: { amount: number; currency: string }[]; inArrears: boolean }> {
    return withTransactionRetry(this.dataSource, async (m) => {
      await this.rider(userId, m);
      const [rider] = await this.repo.lockByUsers(m, [userId]);
      const paid = await this.charges.payUnpaid(m, rider);
      if (rider.in_arrears) await this.repo.leaveArrears(m, userId);
      const result = { paidTrips: paid.count, total: paid.totals, inArrears: false };
      await this.idempotency.record(m, result);
      return result;
    });
  }
}
