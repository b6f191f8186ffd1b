import { Injectable } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import argon2 from 'argon2';
import { randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import { DataSource, type EntityManager } from 'typeorm';
import { DEFAULT_PAGE_SIZE, decodeSequenceCursor, ForbiddenError, IdempotencyService, NotFoundError, shanghaiDay, toPage } from '@app/common';
import type { Currency, Page } from '@app/common';
import { withTransactionRetry } from '@app/database';
import { hasOrgRole, isPlatformAdmin, UsersService } from '@app/identity';
import type { AuthenticatedUser } from '@app/identity';
import { LedgerService, WalletService } from '@app/ledger';
import { NotificationsService } from '@app/notifications';
import { mintOnlineCode } from '@app/paycode';
import { PaymentOrdersService, PaymentPurposes, paymentOrderView } from '@app/payments';
import type { PaymentOrder, PaymentOrderView, ProviderCode } from '@app/payments';
import { CampusRepository } from './campus.repository.js';
import type { CardRow, MovementRow } from './campus.repository.js';
import { CardExistsError, CardFrozenError, MemberInactiveError, MemberMismatchError, OfflineLimitBelowBalanceError, OfflineLimitNeedsUniversityError } from './campus.errors.js';
import { CampusCodeKeys } from './code-keys.js';
import { nameKey, splitSubsidy } from './domain/purses.js';
import type { MemberDto, TopUpSource } from './dto/campus.dto.js';

export const DEFAULT_DAILY_LIMIT = 50_000n;
export const DEFAULT_PASSWORD_FREE_LIMIT = 10_000n;
export const DEFAULT_OFFLINE_LIMIT = 5_000n;
export const CAMPUS_TOP_UP = 'CAMPUS_TOP_UP';

export interface CardView {
  id: string;
  universityId: string;
  memberNo: string;
  status: 'ACTIVE' | 'FROZEN';
  balance: number;
  subsidyBalance: number;
  currency: Currency;
  dailyLimit: number;
  passwordFreeLimit: number;
  offlineLimit: number;
  pinSet: boolean;
  createdAt: string;
}

export interface CardMovementView {
  id: string;
  kind: MovementRow['kind'];
  amount: number;
  subsidyAmount: number;
  currency: Currency;
  balanceAfter: number;
  subsidyBalanceAfter: number;
  description: string | null;
  referenceId: string | null;
  createdAt: string;
}

export interface Purses {
  cash: bigint;
  subsidy: bigint;
}

const cardAccounts = (card: { id: string }, currency: Currency, offlineLimit: bigint) => ({
  cash: { ownerType: 'USER' as const, ownerId: card.id, purpose: 'CAMPUS_CARD', currency, floor: offlineLimit },
  subsidy: { ownerType: 'USER' as const, ownerId: card.id, purpose: 'CAMPUS_CARD_SUBSIDY', currency },
});

/**
 * Campus cards (api.md "Campus card"): rosters, issue by real name, limits,
 * PIN, freeze, card codes, top-ups, history. A card is two ledger accounts:
 * CAMPUS_CARD (cash; floor = offlineLimit, used by offline charges only) and
 * CAMPUS_CARD_SUBSIDY; every money move of a card runs under the card's row
 * lock, so the purse split is decided on balances no one else is changing.
 */
@Injectable()
export class CardsService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: CampusRepository,
    private readonly ledger: LedgerService,
    private readonly wallets: WalletService,
    private readonly users: UsersService,
    private readonly keys: CampusCodeKeys,
    private readonly orders: PaymentOrdersService,
    private readonly purposes: PaymentPurposes,
    private readonly idempotency: IdempotencyService,
    private readonly notifications: NotificationsService,
  ) {}

  /** CARD_FROZEN to the owner, in the freeze's transaction; `event`: the status event (one notification per freeze). */
  async notifyFrozen(m: EntityManager, card: CardRow, event: string): Promise<void> {
    await this.notifications.notify(m, { userId: card.user_id, type: 'CARD_FROZEN', key: `${card.id}:${event}`, data: { cardId: card.id } });
  }

  onModuleInit(): void {
    this.purposes.register(CAMPUS_TOP_UP, {
      onCaptured: async (order, m) => {
        const card = await this.creditTopUp(order, m);
        return { accept: true, account: await this.ledger.account(cardAccounts(card, order.currency, BigInt(card.offline_limit)).cash, m), kind: 'CAMPUS_TOP_UP', description: 'Campus card top-up' };
      },
      onEnded: async (order, m) => {
        if (order.purposeRef) await this.repo.endTopUp(m, order.purposeRef, 'FAILED');
      },
    });
  }

  // ---------------------------------------------------------------- members

  async loadMembers(universityId: string, members: MemberDto[]): Promise<{ created: number; updated: number }> {
    if (!(await this.repo.university(universityId))) throw new NotFoundError('No such university');
    // one row per memberNo: the last one given wins
    const byNo = new Map<string, MemberDto>();
    for (const x of members) byNo.set(x.memberNo, x);
    const rows = [...byNo.values()].map((x) => ({ memberNo: x.memberNo, fullName: x.fullName.trim(), nameKey: nameKey(x.fullName), kind: x.kind, active: x.active ?? true }));
    return withTransactionRetry(this.dataSource, (m) => this.repo.upsertMembers(m, universityId, rows));
  }

  // ---------------------------------------------------------------- cards

  async issue(userId: string, universityId: string, memberNo: string): Promise<CardView> {
    const user = await this.users.getById(userId);
    if (!(await this.repo.university(universityId))) throw new NotFoundError('No such university');
    const id = randomUUID();
    return withTransactionRetry(this.dataSource, async (m) => {
      const member = await this.repo.member(universityId, memberNo, m);
      if (!member) throw new NotFoundError('No such member');
      if (!user.real_full_name || nameKey(user.real_full_name) !== member.name_key) throw new MemberMismatchError();
      if (!member.active) throw new MemberInactiveError();
      const currency: Currency = 'CNY';
      const accounts = cardAccounts({ id }, currency, DEFAULT_OFFLINE_LIMIT);
      const cash = await this.ledger.account(accounts.cash, m);
      const subsidy = await this.ledger.account(accounts.subsidy, m);
      const inserted = await this.repo.insertCard(m, {
        id,
        universityId,
        memberNo,
        userId,
        currency,
        dailyLimit: DEFAULT_DAILY_LIMIT,
        passwordFreeLimit: DEFAULT_PASSWORD_FREE_LIMIT,
        offlineLimit: DEFAULT_OFFLINE_LIMIT,
        cashAccountId: cash.id,
        subsidyAccountId: subsidy.id,
      });
      if (!inserted) throw new CardExistsError();
      return this.view((await this.repo.card(id, m))!, { cash: 0n, subsidy: 0n });
    });
  }

  async purses(card: CardRow, m?: EntityManager): Promise<Purses> {
    const [cash, subsidy] = await Promise.all([this.ledger.balance(card.cash_account_id, m), this.ledger.balance(card.subsidy_account_id, m)]);
    return { cash: cash.amount, subsidy: subsidy.amount };
  }

  view(card: CardRow, purses: Purses): CardView {
    return {
      id: card.id,
      universityId: card.university_id,
      memberNo: card.member_no,
      status: card.status,
      balance: Number(purses.cash + purses.subsidy),
      subsidyBalance: Number(purses.subsidy),
      currency: card.currency.trim() as Currency,
      dailyLimit: Number(card.daily_limit),
      passwordFreeLimit: Number(card.password_free_limit),
      offlineLimit: Number(card.offline_limit),
      pinSet: card.pin_hash !== null,
      createdAt: card.created_at.toISOString(),
    };
  }

  async myCards(userId: string): Promise<CardView[]> {
    const cards = await this.repo.cardsOf(userId);
    return Promise.all(cards.map(async (c) => this.view(c, await this.purses(c))));
  }

  /** The card if the caller owns it; 404 otherwise (no leak of existence). */
  async owned(userId: string, cardId: string, m?: EntityManager, lock = false): Promise<CardRow> {
    const card = await this.repo.card(cardId, m, lock);
    if (!card || card.user_id !== userId) throw new NotFoundError('No such card');
    return card;
  }

  /**
   * The owner sets the daily and password-free limits, and offlineLimit up to
   * the default (their own exposure); the university's staff set offlineLimit
   * (and only it) to any value. The ledger floor of the cash purse follows
   * offlineLimit in the same transaction; a card already owing more than the
   * new limit keeps its old one (OFFLINE_LIMIT_BELOW_BALANCE).
   */
  async update(caller: AuthenticatedUser, cardId: string, input: { dailyLimit?: number; passwordFreeLimit?: number; offlineLimit?: number }): Promise<CardView> {
    return withTransactionRetry(this.dataSource, async (m) => {
      const card = await this.repo.card(cardId, m, true);
      const owner = card?.user_id === caller.id;
      const staff = !!card && (hasOrgRole(caller, card.university_id, ['ORG_ADMIN', 'ORG_OPERATOR']) || isPlatformAdmin(caller));
      if (!card || (!owner && !staff)) throw new NotFoundError('No such card');
      if (!owner && (input.dailyLimit !== undefined || input.passwordFreeLimit !== undefined)) throw new ForbiddenError("Only the card's owner sets its daily and password-free limits");
      const offlineLimit = input.offlineLimit === undefined ? undefined : BigInt(input.offlineLimit);
      if (offlineLimit !== undefined && !staff && offlineLimit > DEFAULT_OFFLINE_LIMIT) throw new OfflineLimitNeedsUniversityError(DEFAULT_OFFLINE_LIMIT);
      if (offlineLimit !== undefined && !(await this.repo.setOfflineLimit(m, card, offlineLimit))) throw new OfflineLimitBelowBalanceError();
      await this.repo.setLimits(m, card.id, input.dailyLimit === undefined ? undefined : BigInt(input.dailyLimit), input.passwordFreeLimit === undefined ? undefined : BigInt(input.passwordFreeLimit));
      const updated = (await this.repo.card(card.id, m))!;
      return this.view(updated, await this.purses(updated, m));
    });
  }

  /** Owner, staff of the card's university, or a platform administrator. */
  async setFrozen(caller: AuthenticatedUser, cardId: string, frozen: boolean): Promise<CardView> {
    return withTransactionRetry(this.dataSource, async (m) => {
      const card = await this.repo.card(cardId, m, true);
      const allowed = card && (card.user_id === caller.id || hasOrgRole(caller, card.university_id, ['ORG_ADMIN', 'ORG_OPERATOR']) || isPlatformAdmin(caller));
      if (!card || !allowed) throw new NotFoundError('No such card');
      const who = card.user_id === caller.id ? 'owner' : 'university staff';
      const event = await this.repo.setStatus(m, card.id, frozen ? 'FROZEN' : 'ACTIVE', `${frozen ? 'frozen' : 'unfrozen'} by ${who}`);
      if (frozen && event) await this.notifyFrozen(m, card, event);
      // unfreezing starts the day's wrong-PIN count afresh
      if (!frozen) await this.repo.resetPinFailures(m, card.id, shanghaiDay(new Date()));
      const updated = (await this.repo.card(card.id, m))!;
      return this.view(updated, await this.purses(updated, m));
    });
  }

  async setPin(userId: string, cardId: string, pin: string): Promise<void> {
    const card = await this.owned(userId, cardId);
    const hash = await argon2.hash(pin, { type: argon2.argon2id });
    await this.repo.setPin(card.id, hash);
  }

  async code(userId: string, cardId: string): Promise<{ code: string; expiresAt: string; qrSvg: string }> {
    const card = await this.owned(userId, cardId);
    if (card.status !== 'ACTIVE') throw new CardFrozenError();
    if (!card.member_active) throw new MemberInactiveError();
    const minted = mintOnlineCode(await this.keys.signer(), { use: 'card', sub: card.ref, aud: card.university_ref!, now: Date.now() });
    const qrSvg = await QRCode.toString(minted.code, { type: 'svg', errorCorrectionLevel: 'L', margin: 1 });
    return { code: minted.code, expiresAt: new Date(minted.exp * 1000).toISOString(), qrSvg };
  }

  async transactions(userId: string, cardId: string, limit = DEFAULT_PAGE_SIZE, cursor?: string): Promise<Page<CardMovementView>> {
    const card = await this.owned(userId, cardId);
    const currency = card.currency.trim() as Currency;
    const rows = await this.repo.movements(card.id, limit, decodeSequenceCursor(cursor));
    const page = toPage(rows, limit, (r) => ({ id: r.id }));
    return {
      nextCursor: page.nextCursor,
      items: page.items.map((r) => ({
        id: r.id,
        kind: r.kind,
        amount: Number(r.amount),
        subsidyAmount: Number(r.subsidy_amount),
        currency,
        balanceAfter: Number(r.balance_after),
        subsidyBalanceAfter: Number(r.subsidy_balance_after),
        description: r.description,
        referenceId: r.ref_id,
        createdAt: r.created_at.toISOString(),
      })),
    };
  }

  // ---------------------------------------------------------------- top-ups

  async topUp(
    user: AuthenticatedUser,
    cardId: string,
    input: { amount: number; source: TopUpSource },
  ): Promise<{ id: string; status: 'SUCCEEDED' | 'PENDING'; amount: number; currency: Currency; source: TopUpSource; card?: CardView; paymentOrder?: PaymentOrderView; checkout?: PaymentOrderView['checkout'] }> {
    const amount = BigInt(input.amount);
    const id = randomUUID();
    if (input.source === 'WALLET') {
      return withTransactionRetry(this.dataSource, async (m) => {
        const card = await this.owned(user.id, cardId, m, true);
        const currency = card.currency.trim() as Currency;
        const before = await this.purses(card, m);
        const wallet = await this.wallets.walletAccount(user.id, currency, m);
        await this.repo.insertTopUp(m, { id, cardId: card.id, userId: user.id, amount, source: 'WALLET', status: 'SUCCEEDED', paymentOrderId: null });
        await this.ledger.post(
          {
            reference: `campus:top-up:${id}`,
            kind: 'CAMPUS_TOP_UP',
            description: 'Campus card top-up from the wallet',
            metadata: { cardId: card.id, topUpId: id },
            postings: [
              { accountId: wallet.id, currency, amount: -amount },
              { accountId: card.cash_account_id, currency, amount },
            ],
          },
          m,
        );
        const after = { cash: before.cash + amount, subsidy: before.subsidy };
        await this.repo.movement(m, { cardId: card.id, kind: 'TOP_UP', amount, subsidyAmount: 0n, balanceAfter: after.cash + after.subsidy, subsidyBalanceAfter: after.subsidy, refId: id, description: 'Top-up from the wallet' });
        const result = { id, status: 'SUCCEEDED' as const, amount: input.amount, currency, source: input.source, card: this.view(card, after) };
        await this.idempotency.record(m, result);
        return result;
      });
    }
    const card = await this.owned(user.id, cardId);
    const currency = card.currency.trim() as Currency;
    const order = await this.dataSource.transaction(async (m) => {
      const created = await this.orders.create({ userId: user.id, purpose: CAMPUS_TOP_UP, purposeRef: id, provider: input.source as ProviderCode, amount, currency, subject: 'Campus card top-up' }, m);
      await this.repo.insertTopUp(m, { id, cardId: card.id, userId: user.id, amount, source: input.source, status: 'PENDING', paymentOrderId: created.id });
      return created;
    });
    const checkout = await this.orders.openCheckout(order);
    return withTransactionRetry(this.dataSource, async (m) => {
      const saved = paymentOrderView(await this.orders.saveCheckout(m, order.id, checkout));
      const result = { id, status: 'PENDING' as const, amount: input.amount, currency, source: input.source, paymentOrder: saved, checkout: saved.checkout };
      await this.idempotency.record(m, result);
      return result;
    });
  }

  /** Inside the capture transaction: the top-up succeeds once, the card's history records it (the ledger entry follows in payments). */
  private async creditTopUp(order: PaymentOrder, m: EntityManager): Promise<CardRow> {
    const cardId = order.purposeRef ? await this.repo.topUpCard(m, order.purposeRef) : undefined;
    if (!cardId) throw new Error(`no campus top-up ${order.purposeRef}`);
    const card = (await this.repo.card(cardId, m, true))!;
    const ended = await this.repo.endTopUp(m, order.purposeRef!, 'SUCCEEDED');
    if (ended) {
      const before = await this.purses(card, m);
      await this.repo.movement(m, {
        cardId: card.id,
        kind: 'TOP_UP',
        amount: order.amount,
        subsidyAmount: 0n,
        balanceAfter: before.cash + before.subsidy + order.amount,
        subsidyBalanceAfter: before.subsidy,
        refId: order.purposeRef!,
        description: `Top-up via ${order.provider}`,
      });
    }
    return card;
  }

  /** For subsidies: credits one card (repaying a negative cash purse first) under its row lock. */
  async creditSubsidy(m: EntityManager, cardId: string, batch: { id: string; universityId: string; amount: bigint; memo: string; expiresAt: Date | null }, fundAccountId: string): Promise<boolean> {
    const card = (await this.repo.card(cardId, m, true))!;
    const currency = card.currency.trim() as Currency;
    const before = await this.purses(card, m);
    const split = splitSubsidy(batch.amount, before.cash);
    const postings = [{ accountId: fundAccountId, currency, amount: -batch.amount }];
    if (split.repay > 0n) postings.push({ accountId: card.cash_account_id, currency, amount: split.repay });
    if (split.subsidy > 0n) postings.push({ accountId: card.subsidy_account_id, currency, amount: split.subsidy });
    const posted = await this.ledger.post({ reference: `campus:subsidy:${batch.id}:${card.id}`, kind: 'CAMPUS_SUBSIDY', description: batch.memo, metadata: { cardId: card.id, batchId: batch.id }, postings }, m);
    if (posted.duplicate) return false;
    if (split.subsidy > 0n) await this.repo.insertLot(m, { cardId: card.id, batchId: batch.id, amount: split.subsidy, expiresAt: batch.expiresAt });
    const after = { cash: before.cash + split.repay, subsidy: before.subsidy + split.subsidy };
    await this.repo.movement(m, { cardId: card.id, kind: 'SUBSIDY', amount: batch.amount, subsidyAmount: split.subsidy, balanceAfter: after.cash + after.subsidy, subsidyBalanceAfter: after.subsidy, refId: batch.id, description: batch.memo });
    await this.notifications.notify(m, {
      userId: card.user_id,
      type: 'SUBSIDY_CREDITED',
      key: `${batch.id}:${card.id}`,
      data: { amount: { amount: Number(batch.amount), currency }, batchId: batch.id, cardId: card.id, universityId: batch.universityId },
    });
    return true;
  }
}
