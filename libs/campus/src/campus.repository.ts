import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { BatchItemError, UUID } from '@app/common';
import type { Currency, ItemOutcome } from '@app/common';
import { affectedRows, preparedQuery, returnedRows } from '@app/database';

export interface CardRow {
  id: string;
  ref: string;
  university_id: string;
  member_no: string;
  user_id: string;
  status: 'ACTIVE' | 'FROZEN';
  currency: string;
  daily_limit: string;
  password_free_limit: string;
  offline_limit: string;
  cash_account_id: string;
  subsidy_account_id: string;
  pin_hash: string | null;
  created_at: Date;
  member_active?: boolean;
  university_ref?: string;
}

export interface ChargeRow {
  id: string;
  card_id: string;
  merchant_id: string;
  device_id: string | null;
  amount: string;
  subsidy_amount: string;
  cash_amount: string;
  refunded_subsidy: string;
  refunded_cash: string;
  currency: string;
  description: string | null;
  mode: 'ONLINE' | 'OFFLINE';
  charged_at: Date;
  posted_at: Date;
}

export interface MovementRow {
  id: string;
  card_id: string;
  kind: 'TOP_UP' | 'CHARGE' | 'REFUND' | 'SUBSIDY' | 'SUBSIDY_EXPIRY';
  amount: string;
  subsidy_amount: string;
  balance_after: string;
  subsidy_balance_after: string;
  ref_id: string | null;
  description: string | null;
  created_at: Date;
}

export interface ChargeApplied {
  card_id: string;
  user_id: string;
  currency: string;
  subsidy_amount: string;
  balance_after: string;
  subsidy_balance_after: string;
}

const CARD_SELECT = `SELECT c.*, m.active AS member_active, u.code_ref AS university_ref
  FROM campus.cards c
  JOIN campus.members m ON m.university_id = c.university_id AND m.member_no = c.member_no
  JOIN campus.universities u ON u.organization_id = c.university_id`;

/** The SQL of the campus card (schema `campus` only); the use cases and their transactions are in the services. */
@Injectable()
export class CampusRepository {
  constructor(private readonly dataSource: DataSource) {}

  private q(m?: EntityManager): EntityManager {
    return m ?? this.dataSource.manager;
  }

  // ---------------------------------------------------------------- universities, merchants, members

  async university(id: string, m?: EntityManager): Promise<{ organization_id: string; code_ref: string } | undefined> {
    if (!UUID.test(id)) return undefined;
    const [row] = (await this.q(m).query(`SELECT organization_id, code_ref FROM campus.universities WHERE organization_id = $1`, [id])) as {
      organization_id: string;
      code_ref: string;
    }[];
    return row;
  }

  async merchant(id: string, m?: EntityManager): Promise<{ organization_id: string; university_id: string | null; category: string; university_ref: string | null } | undefined> {
    if (!UUID.test(id)) return undefined;
    const [row] = (await this.q(m).query(
      `SELECT mc.organization_id, mc.university_id, mc.category, u.code_ref AS university_ref
         FROM campus.merchants mc LEFT JOIN campus.universities u ON u.organization_id = mc.university_id
        WHERE mc.organization_id = $1`,
      [id],
    )) as { organization_id: string; university_id: string | null; category: string; university_ref: string | null }[];
    return row;
  }

  /** Upsert on (university, memberNo); answers how many rows were new and how many changed. */
  async upsertMembers(
    m: EntityManager,
    universityId: string,
    members: { memberNo: string; fullName: string; nameKey: string; kind: string; active: boolean }[],
  ): Promise<{ created: number; updated: number }> {
    const rows = (await m.query(
      `INSERT INTO campus.members (university_id, member_no, full_name, name_key, kind, active)
       SELECT $1, x.member_no, x.full_name, x.name_key, x.kind, x.active
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[]) AS x(member_no, full_name, name_key, kind, active)
       ON CONFLICT (university_id, member_no) DO UPDATE
          SET full_name = EXCLUDED.full_name, name_key = EXCLUDED.name_key, kind = EXCLUDED.kind, active = EXCLUDED.active, updated_at = now()
       RETURNING (xmax = 0) AS inserted`,
      [
        universityId,
        members.map((x) => x.memberNo),
        members.map((x) => x.fullName),
        members.map((x) => x.nameKey),
        members.map((x) => x.kind),
        members.map((x) => x.active),
      ],
    )) as { inserted: boolean }[];
    const created = rows.filter((r) => r.inserted).length;
    return { created, updated: rows.length - created };
  }

  async member(universityId: string, memberNo: string, m?: EntityManager): Promise<{ name_key: string; active: boolean } | undefined> {
    const [row] = (await this.q(m).query(`SELECT name_key, active FROM campus.members WHERE university_id = $1 AND member_no = $2 FOR SHARE`, [
      universityId,
      memberNo,
    ])) as { name_key: string; active: boolean }[];
    return row;
  }

  // ---------------------------------------------------------------- cards

  async insertCard(
    m: EntityManager,
    card: { id: string; universityId: string; memberNo: string; userId: string; currency: Currency; dailyLimit: bigint; passwordFreeLimit: bigint; offlineLimit: bigint; cashAccountId: string; subsidyAccountId: string },
  ): Promise<boolean> {
    for (;;) {
      const ref = randomBytes(4).toString('base64url');
      const rows = (await m.query(
        `INSERT INTO campus.cards (id, ref, university_id, member_no, user_id, currency, daily_limit, password_free_limit, offline_limit, cash_account_id, subsidy_account_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [card.id, ref, card.universityId, card.memberNo, card.userId, card.currency, card.dailyLimit.toString(), card.passwordFreeLimit.toString(), card.offlineLimit.toString(), card.cashAccountId, card.subsidyAccountId],
      )) as unknown[];
      if (rows.length) {
        await m.query(`INSERT INTO campus.card_status_events (card_id, status, reason) VALUES ($1, 'ACTIVE', 'issued')`, [card.id]);
        return true;
      }
      // a clash on (university, member) means the member has a card; else the random ref clashed: try another
      const [taken] = (await m.query(`SELECT 1 FROM campus.cards WHERE university_id = $1 AND member_no = $2`, [card.universityId, card.memberNo])) as unknown[];
      if (taken) return false;
    }
  }

  async card(id: string, m?: EntityManager, lock = false): Promise<CardRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const [row] = (await this.q(m).query(`${CARD_SELECT} WHERE c.id = $1${lock ? ' FOR UPDATE OF c' : ''}`, [id])) as CardRow[];
    return row;
  }

  async lockCard(m: EntityManager, id: string): Promise<void> {
    await m.query(`SELECT 1 FROM campus.cards WHERE id = $1 FOR UPDATE`, [id]);
  }

  async cardByRef(ref: string, m?: EntityManager, lock = false): Promise<CardRow | undefined> {
    const [row] = (await this.q(m).query(`${CARD_SELECT} WHERE c.ref = $1${lock ? ' FOR UPDATE OF c' : ''}`, [ref])) as CardRow[];
    return row;
  }

  async cardsOf(userId: string): Promise<CardRow[]> {
    return (await this.dataSource.query(`${CARD_SELECT} WHERE c.user_id = $1 ORDER BY c.created_at`, [userId])) as CardRow[];
  }

  async setLimits(m: EntityManager, id: string, dailyLimit?: bigint, passwordFreeLimit?: bigint): Promise<void> {
    await m.query(
      `UPDATE campus.cards SET daily_limit = COALESCE($2, daily_limit), password_free_limit = COALESCE($3, password_free_limit) WHERE id = $1`,
      [id, dailyLimit?.toString() ?? null, passwordFreeLimit?.toString() ?? null],
    );
  }

  /**
   * The card's offlineLimit and its cash purse's ledger floor together
   * (through the ledger's own SQL function, under the ledger account's row
   * lock); false, nothing changed, when the purse is already below it.
   */
  async setOfflineLimit(m: EntityManager, card: { id: string; cash_account_id: string }, limit: bigint): Promise<boolean> {
    const [{ ok }] = (await m.query(`SELECT ledger.ledger_set_floor($1, $2) AS ok`, [card.cash_account_id, limit.toString()])) as { ok: boolean }[];
    if (ok) await m.query(`UPDATE campus.cards SET offline_limit = $2 WHERE id = $1`, [card.id, limit.toString()]);
    return ok;
  }

  async setPin(id: string, hash: string): Promise<void> {
    await this.dataSource.query(`UPDATE campus.cards SET pin_hash = $2 WHERE id = $1`, [id, hash]);
  }

  /** Changes the status (and records when); false when it already was. */
  /** The id of the status event written, or null when the card already had this status. */
  async setStatus(m: EntityManager, id: string, status: 'ACTIVE' | 'FROZEN', reason: string): Promise<string | null> {
    const changed = await m.query(`UPDATE campus.cards SET status = $2 WHERE id = $1 AND status <> $2 RETURNING 1`, [id, status]);
    if (affectedRows(changed) === 0) return null;
    const [event] = (await m.query(`INSERT INTO campus.card_status_events (card_id, status, reason) VALUES ($1, $2, $3) RETURNING id`, [id, status, reason])) as { id: string }[];
    return String(event!.id);
  }

  /** Counts a wrong PIN for the Shanghai day; answers the count so far. */
  async countPinFailure(m: EntityManager, id: string, day: string): Promise<number> {
    const [row] = (await m.query(
      `INSERT INTO campus.pin_failures (card_id, day, failures) VALUES ($1, $2, 1)
       ON CONFLICT (card_id, day) DO UPDATE SET failures = campus.pin_failures.failures + 1 RETURNING failures`,
      [id, day],
    )) as { failures: number }[];
    return row.failures;
  }

  async resetPinFailures(m: EntityManager, id: string, day: string): Promise<void> {
    await m.query(`DELETE FROM campus.pin_failures WHERE card_id = $1 AND day = $2`, [id, day]);
  }

  /** Gives refunded room back to a day's spending (under the card's row lock); never below zero. */
  async unspend(m: EntityManager, id: string, day: string, amount: bigint): Promise<void> {
    await m.query(`UPDATE campus.card_days SET spent = GREATEST(spent - $3::bigint, 0) WHERE card_id = $1 AND day = $2`, [id, day, amount.toString()]);
  }

  async movement(
    m: EntityManager,
    mv: { cardId: string; kind: MovementRow['kind']; amount: bigint; subsidyAmount: bigint; balanceAfter: bigint; subsidyBalanceAfter: bigint; refId: string | null; description: string | null },
  ): Promise<void> {
    await m.query(
      `INSERT INTO campus.card_movements (card_id, kind, amount, subsidy_amount, balance_after, subsidy_balance_after, ref_id, description)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [mv.cardId, mv.kind, mv.amount.toString(), mv.subsidyAmount.toString(), mv.balanceAfter.toString(), mv.subsidyBalanceAfter.toString(), mv.refId, mv.description],
    );
  }

  async movements(cardId: string, limit: number, before?: bigint): Promise<MovementRow[]> {
    return (await this.dataSource.query(
      `SELECT * FROM campus.card_movements WHERE card_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
      [cardId, before?.toString() ?? null, limit + 1],
    )) as MovementRow[];
  }

  // ---------------------------------------------------------------- subsidy lots

  /** Gives a refunded subsidy part back to the lots the charge took it from, latest expiry first. */
  async restoreToLots(m: EntityManager, chargeId: string, amount: bigint): Promise<void> {
    const uses = (await m.query(
      `SELECT u.lot_id, u.amount - u.restored AS open FROM campus.charge_lot_uses u JOIN campus.subsidy_lots l ON l.id = u.lot_id
        WHERE u.charge_id = $1 AND u.amount > u.restored ORDER BY l.expires_at DESC NULLS FIRST, l.id FOR UPDATE OF u, l`,
      [chargeId],
    )) as { lot_id: string; open: string }[];
    let left = amount;
    for (const u of uses) {
      if (left === 0n) break;
      const part = BigInt(u.open) < left ? BigInt(u.open) : left;
      await m.query(`UPDATE campus.charge_lot_uses SET restored = restored + $3 WHERE charge_id = $1 AND lot_id = $2`, [chargeId, u.lot_id, part.toString()]);
      await m.query(`UPDATE campus.subsidy_lots SET remaining = remaining + $2 WHERE id = $1`, [u.lot_id, part.toString()]);
      left -= part;
    }
    if (left !== 0n) throw new Error(`charge ${chargeId}: ${left} of its subsidy part has no lot to go back to`);
  }

  async insertBatch(m: EntityManager, b: { id: string; universityId: string; amount: bigint; memo: string; expiresAt: Date | null }): Promise<void> {
    await m.query(`INSERT INTO campus.subsidy_batches (id, university_id, amount, memo, expires_at) VALUES ($1, $2, $3, $4, $5)`, [
      b.id,
      b.universityId,
      b.amount.toString(),
      b.memo,
      b.expiresAt,
    ]);
  }

  async insertLot(m: EntityManager, lot: { cardId: string; batchId: string; amount: bigint; expiresAt: Date | null }): Promise<void> {
    await m.query(`INSERT INTO campus.subsidy_lots (id, card_id, batch_id, amount, remaining, expires_at) VALUES ($1, $2, $3, $4, $4, $5)`, [
      randomUUID(),
      lot.cardId,
      lot.batchId,
      lot.amount.toString(),
      lot.expiresAt,
    ]);
  }

  /** Cards of a university by member number (with the member's state). */
  async cardsOfMembers(m: EntityManager, universityId: string, memberNos: string[]): Promise<{ member_no: string; active: boolean; card_id: string | null }[]> {
    return (await m.query(
      `SELECT x.member_no, mb.active, c.id AS card_id
         FROM unnest($2::text[]) AS x(member_no)
         LEFT JOIN campus.members mb ON mb.university_id = $1 AND mb.member_no = x.member_no
         LEFT JOIN campus.cards c ON c.university_id = $1 AND c.member_no = x.member_no`,
      [universityId, memberNos],
    )) as { member_no: string; active: boolean | null; card_id: string | null }[] as { member_no: string; active: boolean; card_id: string | null }[];
  }

  /** Cards holding lots due at `now` with something left, in id order. */
  async cardsWithDueLots(now: Date, limit: number): Promise<string[]> {
    const rows = (await this.dataSource.query(
      `SELECT DISTINCT card_id FROM campus.subsidy_lots WHERE remaining > 0 AND expires_at IS NOT NULL AND expires_at <= $1 ORDER BY card_id LIMIT $2`,
      [now, limit],
    )) as { card_id: string }[];
    return rows.map((r) => r.card_id);
  }

  async dueLots(m: EntityManager, cardId: string, now: Date): Promise<{ id: string; remaining: string; batch_id: string; university_id: string }[]> {
    return (await m.query(
      `SELECT l.id, l.remaining, l.batch_id, b.university_id FROM campus.subsidy_lots l JOIN campus.subsidy_batches b ON b.id = l.batch_id
        WHERE l.card_id = $1 AND l.remaining > 0 AND l.expires_at IS NOT NULL AND l.expires_at <= $2 ORDER BY l.id FOR UPDATE OF l`,
      [cardId, now],
    )) as { id: string; remaining: string; batch_id: string; university_id: string }[];
  }

  async expireLot(m: EntityManager, lotId: string, amount: bigint): Promise<void> {
    await m.query(`UPDATE campus.subsidy_lots SET remaining = remaining - $2, expired = expired + $2 WHERE id = $1`, [lotId, amount.toString()]);
  }

  // ---------------------------------------------------------------- charges and refunds

  /**
   * One POS charge by campus.pos_charge() (the rules: see its migration) in `m`'s transaction (offline uploads;
   * online charges go by applyChargeBatch); throws its refusal (SQLSTATE CP422) or the ledger's (LD402).
   */
  async applyCharge(
    m: EntityManager,
    c: { id: string; ref: string; universityId: string; merchantId: string; receivableId: string; deviceId: string | null; amount: bigint; jti: string; chargedAt: Date; description: string | null; offline: boolean; pinChecked: boolean },
  ): Promise<ChargeApplied> {
    // a named prepared statement: parsed and planned once per connection
    const [row] = await preparedQuery<ChargeApplied>(
      m,
      'campus_pos_charge',
      `SELECT card_id, user_id, currency, subsidy_amount::text, balance_after::text, subsidy_balance_after::text
         FROM campus.pos_charge($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [c.id, c.ref, c.universityId, c.merchantId, c.receivableId, c.deviceId, c.amount.toString(), c.jti, c.chargedAt, c.description, c.offline, c.pinChecked],
    );
    return row!;
  }

  /**
   * Online charges by campus.pos_charge_batch(): one autocommit statement for
   * all of them, each charge (and, with `record`, its stored response) in its
   * own subtransaction; an outcome per charge, in order: what applyCharge()
   * would have answered, or its error (SQLSTATE and message as a BatchItemError).
   */
  async applyChargeBatch(
    items: { id: string; ref: string; universityId: string; merchantId: string; receivableId: string; deviceId: string; amount: bigint; jti: string; chargedAt: Date; description: string | null; pinChecked: boolean; record?: { scope: string; key: string; claim: string; status: number } }[],
    logIn?: (log: () => void) => void,
  ): Promise<ItemOutcome<ChargeApplied>[]> {
    const column = <T>(f: (i: (typeof items)[number]) => T): T[] => items.map(f);
    const rows = await preparedQuery<ChargeApplied & { ord: number; error_state: string | null; error_message: string | null }>(
      this.dataSource.manager,
      'campus_pos_charge_batch',
      `SELECT ord, card_id, user_id, currency, subsidy_amount::text, balance_after::text, subsidy_balance_after::text, error_state, error_message
         FROM campus.pos_charge_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [
        column((i) => i.id),
        column((i) => i.ref),
        column((i) => i.universityId),
        column((i) => i.merchantId),
        column((i) => i.receivableId),
        column((i) => i.deviceId),
        column((i) => i.amount.toString()),
        column((i) => i.jti),
        column((i) => i.chargedAt),
        column((i) => i.chargedAt.toISOString()),
        column((i) => i.description),
        column((i) => i.pinChecked),
        column((i) => i.record?.scope ?? null),
        column((i) => i.record?.key ?? null),
        column((i) => i.record?.claim ?? null),
        column((i) => i.record?.status ?? null),
      ],
      logIn,
    );
    const outcomes: ItemOutcome<ChargeApplied>[] = new Array(items.length);
    for (const { ord, error_state, error_message, ...applied } of rows) {
      outcomes[ord - 1] = error_state ? { ok: false, error: new BatchItemError(error_state, error_message ?? error_state) } : { ok: true, value: applied };
    }
    return outcomes;
  }

  async charge(id: string, m?: EntityManager, lock = false): Promise<ChargeRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const [row] = (await this.q(m).query(`SELECT * FROM campus.charges WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id])) as ChargeRow[];
    return row;
  }

  async addRefund(m: EntityManager, r: { id: string; chargeId: string; merchantId: string; subsidy: bigint; cash: bigint }): Promise<void> {
    await m.query(`UPDATE campus.charges SET refunded_subsidy = refunded_subsidy + $2, refunded_cash = refunded_cash + $3 WHERE id = $1`, [
      r.chargeId,
      r.subsidy.toString(),
      r.cash.toString(),
    ]);
    await m.query(`INSERT INTO campus.refunds (id, charge_id, merchant_id, amount, subsidy_amount, cash_amount) VALUES ($1, $2, $3, $4, $5, $6)`, [
      r.id,
      r.chargeId,
      r.merchantId,
      (r.subsidy + r.cash).toString(),
      r.subsidy.toString(),
      r.cash.toString(),
    ]);
  }

  async chargesPosted(merchantId: string, start: Date, end: Date): Promise<ChargeRow[]> {
    return (await this.dataSource.query(`SELECT * FROM campus.charges WHERE merchant_id = $1 AND posted_at >= $2 AND posted_at < $3 ORDER BY posted_at, id`, [
      merchantId,
      start,
      end,
    ])) as ChargeRow[];
  }

  async refundsPosted(merchantId: string, start: Date, end: Date): Promise<{ id: string; charge_id: string; amount: string; created_at: Date }[]> {
    return (await this.dataSource.query(`SELECT id, charge_id, amount, created_at FROM campus.refunds WHERE merchant_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at, id`, [
      merchantId,
      start,
      end,
    ])) as { id: string; charge_id: string; amount: string; created_at: Date }[];
  }

  // ---------------------------------------------------------------- offline results

  /** Claims a chargeId for this upload; false when it was claimed before (waits for a claim in flight). */
  async claimOffline(m: EntityManager, chargeId: string, deviceId: string, merchantId: string): Promise<boolean> {
    const rows = (await m.query(
      `INSERT INTO campus.offline_results (charge_id, device_id, merchant_id, status) VALUES ($1, $2, $3, 'REJECTED') ON CONFLICT (charge_id) DO NOTHING RETURNING 1`,
      [chargeId, deviceId, merchantId],
    )) as unknown[];
    return rows.length > 0;
  }

  async finishOffline(m: EntityManager, chargeId: string, status: 'SUCCEEDED' | 'REJECTED', reason: string | null, balanceAfter: bigint | null): Promise<void> {
    await m.query(`UPDATE campus.offline_results SET status = $2, reason = $3, card_balance_after = $4 WHERE charge_id = $1`, [
      chargeId,
      status,
      reason,
      balanceAfter?.toString() ?? null,
    ]);
  }

  async offlineResult(
    chargeId: string,
  ): Promise<{ status: 'SUCCEEDED' | 'REJECTED'; reason: string | null; card_balance_after: string | null; device_id: string; merchant_id: string | null } | undefined> {
    const [row] = (await this.dataSource.query(`SELECT * FROM campus.offline_results WHERE charge_id = $1`, [chargeId])) as {
      status: 'SUCCEEDED' | 'REJECTED';
      reason: string | null;
      card_balance_after: string | null;
      device_id: string;
      merchant_id: string | null;
    }[];
    return row;
  }

  // ---------------------------------------------------------------- top-ups

  async insertTopUp(m: EntityManager, t: { id: string; cardId: string; userId: string; amount: bigint; source: string; status: 'PENDING' | 'SUCCEEDED'; paymentOrderId: string | null }): Promise<void> {
    await m.query(
      `INSERT INTO campus.top_ups (id, card_id, user_id, amount, source, status, payment_order_id, completed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $6 = 'SUCCEEDED' THEN now() END)`,
      [t.id, t.cardId, t.userId, t.amount.toString(), t.source, t.status, t.paymentOrderId],
    );
  }

  async topUpCard(m: EntityManager, id: string): Promise<string | undefined> {
    const [row] = (await m.query(`SELECT card_id FROM campus.top_ups WHERE id = $1`, [id])) as { card_id: string }[];
    return row?.card_id;
  }

  async setTopUpOrder(m: EntityManager, id: string, orderId: string): Promise<void> {
    await m.query(`UPDATE campus.top_ups SET payment_order_id = $2 WHERE id = $1`, [id, orderId]);
  }

  /** PENDING -> SUCCEEDED or FAILED once; answers the row when this call made the change. */
  async endTopUp(m: EntityManager, id: string, status: 'SUCCEEDED' | 'FAILED'): Promise<{ card_id: string; amount: string } | undefined> {
    // TypeORM answers an UPDATE with [rows, rowCount]: the row is there only when this call ended the top-up
    const [row] = returnedRows<{ card_id: string; amount: string }>(await m.query(`UPDATE campus.top_ups SET status = $2, completed_at = now() WHERE id = $1 AND status = 'PENDING' RETURNING card_id, amount`, [
      id,
      status,
    ]));
    return row;
  }
}
