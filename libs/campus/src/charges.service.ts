import { Injectable, Logger, Optional } from '@nestjs/common';
import argon2 from 'argon2';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError, GroupCommit, IdempotencyClaimLostError, IdempotencyService, MetricsService, NotFoundError, shanghaiDay, shanghaiDayRange, WHEN_STALLED } from '@app/common';
import type { Currency } from '@app/common';
import { isUniqueViolation, sqlState, withRetry, withTransactionRetry } from '@app/database';
import type { AuthenticatedDevice, AuthenticatedUser } from '@app/identity';
import { hasOrgRole } from '@app/identity';
import { InsufficientFundsError, LedgerService } from '@app/ledger';
import type { LedgerAccount } from '@app/ledger';
import { NotificationsService } from '@app/notifications';
import { verifyCode } from '@app/paycode';
import type { Jwks, PaycodeKeySet } from '@app/paycode';
import { CampusRepository } from './campus.repository.js';
import type { CardRow, ChargeApplied, ChargeRow } from './campus.repository.js';
import {
  CardCodeRefusedError,
  CardFrozenError,
  DailyLimitExceededError,
  MemberInactiveError,
  NotCampusMerchantError,
  PinInvalidError,
  PinRequiredError,
  RefundExceedsChargeError,
  WrongUniversityError,
} from './campus.errors.js';
import { CardsService } from './cards.service.js';
import { CampusCodeKeys } from './code-keys.js';
import { splitRefund } from './domain/purses.js';
import type { OfflineChargeDto } from './dto/campus.dto.js';

/** Seconds a card code is still taken after its expiry (POS clocks and queues); api.md allows at most 30. */
export const CARD_CODE_GRACE_SECONDS = 30;
/** The fifth wrong PIN in an Asia/Shanghai day freezes the card. */
export const PIN_ATTEMPTS_PER_DAY = 5;
/** An offline charge stamped further in the future than this is refused. */
const FUTURE_SKEW_MS = 5 * 60_000;
/** How long a merchant's university is remembered by a process. */
const MERCHANT_CACHE_MS = 60_000;
/**
 * Charges one statement of the online charges' group commit takes at most (see GroupCommit): each is a
 * subtransaction, kept well under PostgreSQL's 64 cached subtransactions per transaction, beyond which
 * every snapshot gets slower.
 */
const CHARGES_PER_STATEMENT = 24;

export interface ChargeResult {
  id: string;
  status: 'SUCCEEDED';
  amount: number;
  currency: Currency;
  subsidyAmount: number;
  cardBalanceAfter: number;
  chargedAt: string;
}

export interface OfflineResult {
  chargeId: string;
  status: 'SUCCEEDED' | 'DUPLICATE' | 'REJECTED';
  reason?: string;
  cardBalanceAfter?: number;
}

interface Merchant {
  id: string;
  universityId: string;
  universityRef: string;
}

/**
 * What verifying one offline upload's codes reads at most once: the JWKS read
 * again (a code under a kid this replica has not seen), and the keys in force
 * since the upload's earliest chargedAt (a code whose key left the JWKS
 * since it was charged).
 */
interface UploadKeys {
  since: Date;
  refreshed?: Promise<PaycodeKeySet>;
  inForce?: Promise<(at: Date) => PaycodeKeySet>;
}

/** A refusal of one offline charge (recorded, answered as REJECTED with this reason). */
class Rejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * Charges at POS terminals (online by code, offline uploads), refunds and
 * merchant settlements. Each charge: one transaction under the card's row
 * lock: code single use, daily limit, purse split (subsidy first, lots
 * earliest-expiring first), one balanced entry card purses -> the merchant's
 * receivable (a hot account: no row lock on the merchant at noon).
 */
@Injectable()
export class ChargesService {
  private readonly logger = new Logger('CampusCharges');

  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: CampusRepository,
    private readonly cards: CardsService,
    private readonly ledger: LedgerService,
    private readonly keys: CampusCodeKeys,
    private readonly idempotency: IdempotencyService,
    private readonly notifications: NotificationsService,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** Online charges, grouped: one statement and one commit for the charges that arrive while others run. */
  private readonly onlineCharges = new GroupCommit<OnlineCharge, ChargeApplied>({
    // two at once: on the 2-core bench (bench:campus, 64 POS clients, in-process) 1,867 charges/s against
    // 1,007 one at a time (a statement's commit leaves a core idle) and 1,543-1,617 with four or eight
    maxInFlight: 2,
    whenStalled: WHEN_STALLED,
    maxBatch: CHARGES_PER_STATEMENT,
    onBatch: (size) => this.metrics?.groupCommitBatch.observe({ statement: 'campus_pos_charge' }, size),
    // by card: two statements lock the cards they share in the same order
    lockOrder: (c) => c.ref,
    run: (items, inEachContext) => this.repo.applyChargeBatch(items, inEachContext),
  });

  /** Ledger accounts never change id: each merchant's receivable is looked up once per process (see merchantOf). */
  private readonly receivables = new Map<string, LedgerAccount>();

  async receivable(merchantId: string, currency: Currency, m: EntityManager): Promise<LedgerAccount> {
    return this.receivables.get(`${merchantId}:${currency}`) ?? this.ledger.account({ ownerType: 'ORGANIZATION', ownerId: merchantId, purpose: 'RECEIVABLE', currency, hot: true }, m);
  }

  /** Outside any transaction (so that a cached account is a committed one). */
  private async warmReceivable(merchantId: string, currency: Currency): Promise<void> {
    const key = `${merchantId}:${currency}`;
    if (this.receivables.has(key)) return;
    const account = await this.ledger.account({ ownerType: 'ORGANIZATION', ownerId: merchantId, purpose: 'RECEIVABLE', currency, hot: true });
    if (this.receivables.size > 10_000) this.receivables.clear();
    this.receivables.set(key, account);
  }

  /** Campus merchants by organisation id, briefly (their university does not change; a charge is refused in SQL if it did). */
  private readonly merchants = new Map<string, { merchant: Merchant; at: number }>();

  /** The POS device's merchant, which must be a campus merchant of a university. */
  private async merchantOf(device: AuthenticatedDevice): Promise<Merchant> {
    const cached = this.merchants.get(device.organizationId);
    if (cached && Date.now() - cached.at < MERCHANT_CACHE_MS) return cached.merchant;
    const row = await this.repo.merchant(device.organizationId);
    if (!row?.university_id || !row.university_ref) throw new NotCampusMerchantError();
    await this.warmReceivable(row.organization_id, 'CNY');
    const merchant = { id: row.organization_id, universityId: row.university_id, universityRef: row.university_ref };
    if (this.merchants.size >= 10_000) this.merchants.clear();
    this.merchants.set(device.organizationId, { merchant, at: Date.now() });
    return merchant;
  }

  async posConfig(device: AuthenticatedDevice): Promise<{ deviceId: string; merchantId: string; universityId: string; universityRef: string; codeGraceSeconds: number; jwks: Jwks }> {
    const merchant = await this.merchantOf(device);
    return { deviceId: device.id, merchantId: merchant.id, universityId: merchant.universityId, universityRef: merchant.universityRef, codeGraceSeconds: CARD_CODE_GRACE_SECONDS, jwks: await this.keys.jwks() };
  }

  /**
   * Verifies a card code at `at`: the card it names, or the API refusal.
   * `upload`: an offline charge uploaded after the fact, whose key may have
   * left the published JWKS since (it is checked against the keys POS
   * terminals had at `at`), with what its upload has read of the keys.
   */
  private async verify(
    code: string,
    at: Date,
    merchant: Merchant,
    upload?: UploadKeys,
  ): Promise<{ jti: string; ref: string } | { refusal: 'CODE_EXPIRED' | 'INVALID_CODE' | 'WRONG_UNIVERSITY' }> {
    const options = { now: at, use: 'card' as const, graceSeconds: CARD_CODE_GRACE_SECONDS };
    let result = verifyCode(code, await this.keys.keySet(), options);
    // signed by a key this replica has not seen yet (a rotation): read the JWKS again, once (once per upload)
    if (!result.ok && result.detail === 'UNKNOWN_KEY') {
      const fresh = upload ? (upload.refreshed ??= this.keys.keySet(true)) : this.keys.keySet(true);
      result = verifyCode(code, await fresh, options);
    }
    if (!result.ok && result.detail === 'UNKNOWN_KEY' && upload) {
      result = verifyCode(code, (await (upload.inForce ??= this.keys.keySetsSince(upload.since)))(at), options);
    }
    if (!result.ok) return { refusal: result.reason === 'CODE_EXPIRED' ? 'CODE_EXPIRED' : 'INVALID_CODE' };
    if (result.kind !== 'online' || !result.aud) return { refusal: 'INVALID_CODE' };
    if (result.aud !== merchant.universityRef) return { refusal: 'WRONG_UNIVERSITY' };
    return { jti: result.jti, ref: result.sub };
  }

  // ---------------------------------------------------------------- online

  /**
   * An online charge: the code verified here, then campus.pos_charge()
   * (every rule of the charge, the ledger entry, the history row and the
   * owner's notification: see its migrations). That is the whole charge:
   * ONE autocommit statement, no BEGIN/COMMIT round trips, shared with the
   * charges that arrive while others run (the group commit: see
   * onlineCharges); in an idempotent request (POST /v1/campus/charges has an
   * Idempotency-Key) the charge's subtransaction also stores the response
   * (common.idempotency_record), so the charge never commits without it.
   * The owner's live streams are woken after the commit
   * (coalesced: no NOTIFY inside the charge's commit). Above the
   * password-free limit the function answers PIN_REQUIRED until the PIN was
   * checked here (argon2, outside any lock), then runs again.
   */
  async charge(device: AuthenticatedDevice, input: { code: string; amount: number; description?: string; pin?: string }): Promise<ChargeResult> {
    const merchant = await this.merchantOf(device);
    const now = new Date();
    const verified = await this.verify(input.code, now, merchant);
    if ('refusal' in verified) throw verified.refusal === 'WRONG_UNIVERSITY' ? new WrongUniversityError() : new CardCodeRefusedError(verified.refusal);
    const id = randomUUID();
    const charge = (pinChecked: boolean) => ({ id, ref: verified.ref, amount: BigInt(input.amount), jti: verified.jti, chargedAt: now, description: input.description ?? null, pinChecked });
    const run = async (pinChecked: boolean): Promise<ChargeResult> => {
      // in an idempotent request, the charge's subtransaction also stores its response (see campus.pos_charge_batch)
      const record = this.idempotency.sqlRecord();
      const { result, userId } = await withRetry(() => this.applyOnline(merchant, device.id, charge(pinChecked), record));
      if (record) this.idempotency.recordedInSql();
      this.notifications.announce(userId);
      return result;
    };
    try {
      return await run(false);
    } catch (err) {
      if (!(err instanceof PinRequiredError)) throw err;
      const card = await this.repo.cardByRef(verified.ref);
      if (!card) throw err;
      await this.checkPin(card, input.pin);
      return run(true);
    }
  }

  /**
   * argon2 outside any lock (it is slow on purpose). A wrong PIN is counted
   * in its own committed transaction (the charge is refused; the count is
   * not rolled back); the fifth of the day freezes the card.
   */
  private async checkPin(card: CardRow, pin: string | undefined): Promise<void> {
    if (!card.pin_hash) throw new PinRequiredError('A charge above the password-free limit needs a PIN: the card has none set');
    if (!pin) throw new PinRequiredError();
    if (await argon2.verify(card.pin_hash, pin)) return;
    const frozen = await withTransactionRetry(this.dataSource, async (m) => {
      await this.repo.lockCard(m, card.id);
      const failures = await this.repo.countPinFailure(m, card.id, shanghaiDay(new Date()));
      if (failures >= PIN_ATTEMPTS_PER_DAY) {
        const event = await this.repo.setStatus(m, card.id, 'FROZEN', `${failures} wrong PINs today`);
        if (event) await this.cards.notifyFrozen(m, card, event);
        return true;
      }
      return false;
    });
    throw new PinInvalidError(frozen);
  }

  /**
   * An online charge by the group commit: campus.pos_charge() and, with
   * `record`, the stored response, in its own subtransaction of a statement
   * that may carry other charges (see campus.pos_charge_batch); the same
   * answer and the same refusals as campus.pos_charge() as a statement of its own.
   */
  private async applyOnline(
    merchant: Merchant,
    deviceId: string,
    c: { id: string; ref: string; amount: bigint; jti: string; chargedAt: Date; description: string | null; pinChecked: boolean },
    record?: { scope: string; key: string; claim: string; status: number },
  ): Promise<{ result: ChargeResult; userId: string }> {
    const receivable = await this.receivable(merchant.id, 'CNY', this.dataSource.manager);
    let row: ChargeApplied;
    try {
      row = await this.onlineCharges.submit({ ...c, universityId: merchant.universityId, merchantId: merchant.id, receivableId: receivable.id, deviceId, record });
    } catch (err) {
      throw chargeRefusal(err) ?? err;
    }
    return { result: chargeResult(c, row), userId: row.user_id };
  }

  /**
   * An offline charge: campus.pos_charge() in `m`'s transaction (the upload's,
   * under a savepoint); the caller wakes the owner (`userId`) after the commit.
   */
  private async applyOffline(
    m: EntityManager,
    merchant: Merchant,
    deviceId: string,
    c: { id: string; ref: string; amount: bigint; jti: string; chargedAt: Date },
  ): Promise<{ result: ChargeResult; userId: string }> {
    const receivable = await this.receivable(merchant.id, 'CNY', m);
    let row: ChargeApplied;
    try {
      row = await this.repo.applyCharge(m, { ...c, universityId: merchant.universityId, merchantId: merchant.id, receivableId: receivable.id, deviceId, description: null, offline: true, pinChecked: false });
    } catch (err) {
      throw chargeRefusal(err) ?? err;
    }
    return { result: chargeResult(c, row), userId: row.user_id };
  }

  // ---------------------------------------------------------------- offline

  async offline(device: AuthenticatedDevice, charges: OfflineChargeDto[]): Promise<{ results: OfflineResult[] }> {
    const merchant = await this.merchantOf(device);
    const results: OfflineResult[] = [];
    const owners = new Set<string>();
    const times = charges.map((c) => Date.parse(c.chargedAt)).filter((t) => !Number.isNaN(t));
    const keys: UploadKeys = { since: new Date(times.length ? Math.min(...times) : Date.now()) };
    try {
      for (const item of charges) results.push(await this.offlineOne(device, merchant, item, owners, keys));
    } finally {
      // each accepted charge committed in its own transaction: its owner's streams are woken (once per batch)
      this.notifications.announce(...owners);
    }
    return { results };
  }

  private async offlineOne(device: AuthenticatedDevice, merchant: Merchant, item: OfflineChargeDto, owners: Set<string>, keys: UploadKeys): Promise<OfflineResult> {
    const chargeId = item.chargeId.toLowerCase();
    const chargedAt = new Date(item.chargedAt);
    const amount = BigInt(item.amount);
    const badTime = Number.isNaN(chargedAt.getTime()) || chargedAt.getTime() > Date.now() + FUTURE_SKEW_MS;
    // before the transaction: reading the keys may take a pooled connection, and a transaction holding one
    // while it waits for another is how a burst of uploads (a campus back from an outage) would drain the pool
    const verified = badTime ? undefined : await this.verify(item.code, chargedAt, merchant, keys);
    const judged = async (m: EntityManager): Promise<OfflineResult & { userId?: string }> => {
      if (!(await this.repo.claimOffline(m, chargeId, device.id, merchant.id))) return { chargeId, status: 'DUPLICATE' };
      try {
        if (!verified) throw new Rejected('INVALID_CHARGED_AT');
        if ('refusal' in verified) throw new Rejected(verified.refusal);
        // a savepoint: a refusal inside undoes the charge's writes but keeps the claim
        const { result, userId } = await this.savepoint(m, () =>
          this.applyOffline(m, merchant, device.id, { id: chargeId, ref: verified.ref, amount, jti: verified.jti, chargedAt }),
        );
        await this.repo.finishOffline(m, chargeId, 'SUCCEEDED', null, BigInt(result.cardBalanceAfter));
        return { chargeId, status: 'SUCCEEDED', cardBalanceAfter: result.cardBalanceAfter, userId };
      } catch (err) {
        const reason =
          err instanceof Rejected
            ? err.reason
            : err instanceof DomainError && err.status < 500
              ? err.code
              : // the id of a charge made online (a POS that mixed its records up): this charge's refusal, not the upload's
                isUniqueViolation(err, 'charges_pkey')
                ? 'INVALID_CHARGE_ID'
                : undefined;
        if (!reason) throw err;
        await this.repo.finishOffline(m, chargeId, 'REJECTED', reason, null);
        if (reason === 'INSUFFICIENT_FUNDS') this.logger.warn({ chargeId, merchantId: merchant.id }, 'offline charge beyond the card floor: rejected, the merchant is told');
        return { chargeId, status: 'REJECTED', reason };
      }
    };
    const { userId, ...result } = await withTransactionRetry(this.dataSource, judged);
    if (userId) owners.add(userId);
    if (result.status !== 'DUPLICATE') return result;
    // the first result, marked DUPLICATE, to a POS of the merchant it was sent for (a replacement terminal
    // uploading the old one's queue); from another merchant the chargeId is taken: this charge is refused
    const first = await this.repo.offlineResult(chargeId);
    if (first && (first.merchant_id ? first.merchant_id !== merchant.id : first.device_id !== device.id)) {
      return { chargeId, status: 'REJECTED', reason: 'INVALID_CHARGE_ID' };
    }
    return {
      chargeId,
      status: 'DUPLICATE',
      ...(first?.reason ? { reason: first.reason } : {}),
      ...(first?.card_balance_after != null ? { cardBalanceAfter: Number(first.card_balance_after) } : {}),
    };
  }

  private async savepoint<T>(m: EntityManager, work: () => Promise<T>): Promise<T> {
    await m.query('SAVEPOINT campus_charge');
    try {
      const value = await work();
      await m.query('RELEASE SAVEPOINT campus_charge');
      return value;
    } catch (err) {
      await m.query('ROLLBACK TO SAVEPOINT campus_charge');
      throw err;
    }
  }

  // ---------------------------------------------------------------- refunds

  /** By the merchant's staff (user) or one of its POS devices. */
  async refund(caller: AuthenticatedUser | AuthenticatedDevice, chargeId: string, requested?: number): Promise<{ id: string; chargeId: string; amount: number; subsidyAmount: number; currency: Currency; cardBalanceAfter: number }> {
    const charge = await this.repo.charge(chargeId);
    const allowed =
      charge && (caller.kind === 'device' ? caller.organizationId === charge.merchant_id : hasOrgRole(caller, charge.merchant_id, ['ORG_ADMIN', 'ORG_OPERATOR']));
    if (!charge || !allowed) throw new NotFoundError('No such charge');
    const id = randomUUID();
    return withTransactionRetry(this.dataSource, async (m) => {
      // lock order: the card, then the charge (as charges take them)
      const card = (await this.repo.card(charge.card_id, m, true))!;
      const locked = (await this.repo.charge(charge.id, m, true))!;
      const parts = { subsidyAmount: BigInt(locked.subsidy_amount), cashAmount: BigInt(locked.cash_amount), refundedSubsidy: BigInt(locked.refunded_subsidy), refundedCash: BigInt(locked.refunded_cash) };
      const left = parts.subsidyAmount + parts.cashAmount - parts.refundedSubsidy - parts.refundedCash;
      const amount = requested === undefined ? left : BigInt(requested);
      const split = splitRefund(amount, parts);
      if (!split) throw new RefundExceedsChargeError(left);
      const currency = locked.currency.trim() as Currency;
      const before = await this.cards.purses(card, m);
      await this.repo.addRefund(m, { id, chargeId: locked.id, merchantId: locked.merchant_id, subsidy: split.subsidy, cash: split.cash });
      if (split.subsidy > 0n) await this.repo.restoreToLots(m, locked.id, split.subsidy);
      // what is refunded no longer counts against the daily limit of the day the charge counted on
      await this.repo.unspend(m, card.id, shanghaiDay(locked.charged_at), amount);
      const receivable = await this.receivable(locked.merchant_id, currency, m);
      const postings = [{ accountId: receivable.id, currency, amount: -amount }];
      if (split.subsidy > 0n) postings.push({ accountId: card.subsidy_account_id, currency, amount: split.subsidy });
      if (split.cash > 0n) postings.push({ accountId: card.cash_account_id, currency, amount: split.cash });
      await this.ledger.post({ reference: `campus:refund:${id}`, kind: 'CAMPUS_REFUND', description: 'Campus charge refund', metadata: { chargeId: locked.id, refundId: id, cardId: card.id }, postings }, m);
      const after = { cash: before.cash + split.cash, subsidy: before.subsidy + split.subsidy };
      await this.repo.movement(m, { cardId: card.id, kind: 'REFUND', amount, subsidyAmount: split.subsidy, balanceAfter: after.cash + after.subsidy, subsidyBalanceAfter: after.subsidy, refId: id, description: 'Refund' });
      const result = { id, chargeId: locked.id, amount: Number(amount), subsidyAmount: Number(split.subsidy), currency, cardBalanceAfter: Number(after.cash + after.subsidy) };
      await this.idempotency.record(m, result);
      return result;
    });
  }

  // ---------------------------------------------------------------- settlement

  /** Charges and refunds posted in one Asia/Shanghai day: exactly the merchant's receivable postings of that day. */
  async settlement(merchantId: string, date: string): Promise<{
    date: string;
    timeZone: 'Asia/Shanghai';
    currency: Currency;
    count: number;
    total: { amount: number; currency: Currency };
    refunds: { count: number; amount: number; currency: Currency };
    net: { amount: number; currency: Currency };
    items: { id: string; amount: number; mode: ChargeRow['mode']; chargedAt: string; postedAt: string }[];
    refundItems: { id: string; chargeId: string; amount: number; createdAt: string }[];
  }> {
    if (!(await this.repo.merchant(merchantId))) throw new NotFoundError('No such merchant');
    const { start, end } = shanghaiDayRange(date);
    const [charges, refunds] = await Promise.all([this.repo.chargesPosted(merchantId, start, end), this.repo.refundsPosted(merchantId, start, end)]);
    const currency: Currency = (charges[0]?.currency.trim() as Currency) ?? 'CNY';
    const total = charges.reduce((s, c) => s + BigInt(c.amount), 0n);
    const refunded = refunds.reduce((s, r) => s + BigInt(r.amount), 0n);
    return {
      date,
      timeZone: 'Asia/Shanghai',
      currency,
      count: charges.length,
      total: { amount: Number(total), currency },
      refunds: { count: refunds.length, amount: Number(refunded), currency },
      net: { amount: Number(total - refunded), currency },
      items: charges.map((c) => ({ id: c.id, amount: Number(c.amount), mode: c.mode, chargedAt: c.charged_at.toISOString(), postedAt: c.posted_at.toISOString() })),
      refundItems: refunds.map((r) => ({ id: r.id, chargeId: r.charge_id, amount: Number(r.amount), createdAt: r.created_at.toISOString() })),
    };
  }
}

/** The API error for a refusal of campus.pos_charge() (SQLSTATE CP422, the code as message) or of the ledger (LD402). */
/** One online charge of a group commit (see ChargesService.onlineCharges). */
interface OnlineCharge {
  id: string;
  ref: string;
  universityId: string;
  merchantId: string;
  receivableId: string;
  deviceId: string;
  amount: bigint;
  jti: string;
  chargedAt: Date;
  description: string | null;
  pinChecked: boolean;
  record?: { scope: string; key: string; claim: string; status: number };
}

/** What POST /v1/campus/charges answers for an applied charge (and stores as its idempotent response). */
function chargeResult(c: { id: string; amount: bigint; chargedAt: Date }, row: ChargeApplied): ChargeResult {
  return {
    id: c.id,
    status: 'SUCCEEDED',
    amount: Number(c.amount),
    currency: row.currency as Currency,
    subsidyAmount: Number(row.subsidy_amount),
    cardBalanceAfter: Number(row.balance_after),
    chargedAt: c.chargedAt.toISOString(),
  };
}

function chargeRefusal(err: unknown): DomainError | undefined {
  if (sqlState(err) === 'LD402') return new InsufficientFundsError();
  if (sqlState(err) === 'IK409') return new IdempotencyClaimLostError();
  if (sqlState(err) !== 'CP422') return undefined;
  const code = (err as Error).message;
  switch (code) {
    case 'INVALID_CODE':
    case 'CODE_ALREADY_USED':
      return new CardCodeRefusedError(code);
    case 'WRONG_UNIVERSITY':
      return new WrongUniversityError();
    case 'CARD_FROZEN':
      return new CardFrozenError();
    case 'MEMBER_INACTIVE':
      return new MemberInactiveError();
    case 'PIN_REQUIRED':
      return new PinRequiredError();
    case 'DAILY_LIMIT_EXCEEDED':
      return new DailyLimitExceededError();
    default:
      return undefined;
  }
}
