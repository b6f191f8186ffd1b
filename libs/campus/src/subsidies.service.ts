import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { IdempotencyService, NotFoundError } from '@app/common';
import type { Currency } from '@app/common';
import { withTransactionRetry } from '@app/database';
import { JobsService } from '@app/jobs';
import { LedgerService } from '@app/ledger';
import { CampusRepository } from './campus.repository.js';
import { InvalidExpiryError } from './campus.errors.js';
import { CardsService } from './cards.service.js';

export const SUBSIDY_EXPIRY_JOB = 'campus.subsidy-expiry';

/**
 * Subsidies from a university's fund (ledger account SUBSIDY_FUND of the
 * university, which may go negative: it is what the university has granted
 * and owes the platform), in idempotent batches; each card's part is one
 * journal entry. `expiresAt`: at that moment a job returns what is left of
 * that subsidy on each card to the fund (one entry per card).
 */
@Injectable()
export class SubsidiesService {
  private readonly logger = new Logger('CampusSubsidies');

  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: CampusRepository,
    private readonly cards: CardsService,
    private readonly ledger: LedgerService,
    private readonly jobs: JobsService,
    private readonly idempotency: IdempotencyService,
  ) {}

  async grant(universityId: string, input: { memberNos: string[]; amount: number; memo: string; expiresAt?: string }): Promise<{ batchId: string; credited: number; skipped: { memberNo: string; reason: string }[] }> {
    if (!(await this.repo.university(universityId))) throw new NotFoundError('No such university');
    const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) throw new InvalidExpiryError();
    const memberNos = [...new Set(input.memberNos)];
    const batch = { id: randomUUID(), universityId, amount: BigInt(input.amount), memo: input.memo, expiresAt };
    const currency: Currency = 'CNY';
    return withTransactionRetry(this.dataSource, async (m) => {
      await this.repo.insertBatch(m, batch);
      const fund = await this.ledger.account({ ownerType: 'ORGANIZATION', ownerId: universityId, purpose: 'SUBSIDY_FUND', currency, allowNegative: true }, m);
      const rows = await this.repo.cardsOfMembers(m, universityId, memberNos);
      const skipped: { memberNo: string; reason: string }[] = [];
      // cards locked in id order (no deadlock between two batches)
      const targets = rows.filter((r) => {
        const reason = r.active === null ? 'UNKNOWN_MEMBER' : !r.active ? 'MEMBER_INACTIVE' : !r.card_id ? 'NO_CARD' : undefined;
        if (reason) skipped.push({ memberNo: r.member_no, reason });
        return !reason;
      });
      targets.sort((a, b) => (a.card_id! < b.card_id! ? -1 : 1));
      let credited = 0;
      for (const t of targets) if (await this.cards.creditSubsidy(m, t.card_id!, batch, fund.id)) credited++;
      if (expiresAt && credited > 0) await this.jobs.sendInTransaction(m, SUBSIDY_EXPIRY_JOB, { batchId: batch.id }, { startAfter: expiresAt, retryLimit: 10, retryDelay: 5 });
      const result = { batchId: batch.id, credited, skipped };
      await this.idempotency.record(m, result);
      return result;
    });
  }

  /** Returns what is left of every subsidy due at `now` to its fund: one entry per card. Answers the cards done. */
  async expireDue(now = new Date()): Promise<number> {
    let done = 0;
    for (;;) {
      const cards = await this.repo.cardsWithDueLots(now, 200);
      if (!cards.length) return done;
      for (const cardId of cards) {
        await withTransactionRetry(this.dataSource, async (m) => {
          const card = (await this.repo.card(cardId, m, true))!;
          const lots = await this.repo.dueLots(m, cardId, now);
          if (!lots.length) return;
          const currency = card.currency.trim() as Currency;
          const before = await this.cards.purses(card, m);
          const byFund = new Map<string, bigint>();
          for (const lot of lots) {
            await this.repo.expireLot(m, lot.id, BigInt(lot.remaining));
            byFund.set(lot.university_id, (byFund.get(lot.university_id) ?? 0n) + BigInt(lot.remaining));
          }
          const total = [...byFund.values()].reduce((s, v) => s + v, 0n);
          const postings = [{ accountId: card.subsidy_account_id, currency, amount: -total }];
          for (const [universityId, amount] of byFund) {
            const fund = await this.ledger.account({ ownerType: 'ORGANIZATION', ownerId: universityId, purpose: 'SUBSIDY_FUND', currency, allowNegative: true }, m);
            postings.push({ accountId: fund.id, currency, amount });
          }
          const id = randomUUID();
          await this.ledger.post({ reference: `campus:subsidy-expiry:${id}`, kind: 'CAMPUS_SUBSIDY_EXPIRY', description: 'Unspent subsidy returned to the fund', metadata: { cardId, lots: lots.map((l) => l.id) }, postings }, m);
          const after = { cash: before.cash, subsidy: before.subsidy - total };
          await this.repo.movement(m, { cardId, kind: 'SUBSIDY_EXPIRY', amount: -total, subsidyAmount: -total, balanceAfter: after.cash + after.subsidy, subsidyBalanceAfter: after.subsidy, refId: id, description: 'Subsidy expired: unspent part returned to the university' });
          done++;
        });
      }
    }
  }
}
