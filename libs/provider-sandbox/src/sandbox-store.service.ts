import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { ConflictError, NotFoundError } from '@app/common';
import { returnedRows } from '@app/database';
import type { NotificationOverrides, SandboxProvider, SandboxRefund, SandboxTrade, SettlementEntry } from './sandbox.types.js';

interface TradeRow {
  provider: SandboxProvider;
  out_trade_no: string;
  trade_no: string;
  merchant_id: string;
  amount: string;
  currency: string;
  subject: string;
  notify_url: string;
  status: SandboxTrade['status'];
  refunded: string;
  expires_at: Date;
  created_at: Date;
  paid_at: Date | null;
}

const toTrade = (r: TradeRow): SandboxTrade => ({
  provider: r.provider,
  outTradeNo: r.out_trade_no,
  tradeNo: r.trade_no,
  merchantId: r.merchant_id,
  amount: BigInt(r.amount),
  currency: r.currency.trim(),
  subject: r.subject,
  notifyUrl: r.notify_url,
  status: r.status,
  refunded: BigInt(r.refunded),
  expiresAt: r.expires_at,
  createdAt: r.created_at,
  paidAt: r.paid_at,
});

export class TradeClosedError extends ConflictError {
  constructor() {
    super('TRADE_CLOSED', 'The trade is closed or expired: it can no longer be paid');
  }
}

export class TradeAlreadyPaidError extends ConflictError {
  constructor() {
    super('TRADE_ALREADY_PAID', 'The trade is already paid');
  }
}

export interface SandboxFault {
  /** How notifications are delivered. */
  mode: 'NORMAL' | 'DROP' | 'DUPLICATE' | 'DELAY_MS';
  delayMs: number;
  /** The gateway's API answers 503 (an outage): queries, closes and refunds fail. */
  gatewayDown: boolean;
}

export type RefundOutcome =
  | { ok: true; refund: SandboxRefund; trade: SandboxTrade; duplicate: boolean }
  | { ok: false; reason: 'TRADE_NOT_FOUND' | 'TRADE_NOT_PAID' | 'REFUND_AMOUNT_EXCEEDED' | 'REFUND_NO_REUSED' };

/** The gateways' books: trades, refunds, the fault switch. Every state change is one conditional statement. */
@Injectable()
export class SandboxStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Gateway trade numbers look like each provider's (digits, with a provider-specific prefix). */
  static tradeNumber(prefix: string): string {
    const digits = BigInt('0x' + randomBytes(10).toString('hex')).toString().padStart(24, '0').slice(0, 24);
    return prefix + digits;
  }

  /** Creates the trade; the same out_trade_no again returns the existing one if its terms match (gateways dedupe). */
  async createTrade(t: {
    provider: SandboxProvider;
    outTradeNo: string;
    tradeNo: string;
    merchantId: string;
    amount: bigint;
    currency: string;
    subject: string;
    notifyUrl: string;
    expiresAt: Date;
  }): Promise<{ trade: SandboxTrade; created: boolean } | { conflict: true }> {
    const inserted = (await this.dataSource.query(
      `INSERT INTO sandbox.sandbox_trades (provider, out_trade_no, trade_no, merchant_id, amount, currency, subject, notify_url, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (provider, out_trade_no) DO NOTHING RETURNING *`,
      [t.provider, t.outTradeNo, t.tradeNo, t.merchantId, t.amount.toString(), t.currency, t.subject, t.notifyUrl, t.expiresAt],
    )) as TradeRow[];
    if (inserted[0]) return { trade: toTrade(inserted[0]), created: true };
    const existing = await this.find(t.provider, t.outTradeNo);
    if (!existing || existing.amount !== t.amount || existing.currency !== t.currency) return { conflict: true };
    return { trade: existing, created: false };
  }

  async find(provider: SandboxProvider, outTradeNoOrTradeNo: string): Promise<SandboxTrade | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT * FROM sandbox.sandbox_trades WHERE provider = $1 AND (out_trade_no = $2 OR trade_no = $2) LIMIT 1`,
      [provider, outTradeNoOrTradeNo],
    )) as TradeRow[];
    return row ? toTrade(row) : undefined;
  }

  async get(provider: SandboxProvider, id: string): Promise<SandboxTrade> {
    const trade = await this.find(provider, id);
    if (!trade) throw new NotFoundError('No such trade at this gateway');
    return trade;
  }

  /** The payer pays (WAITING -> PAID once); a closed, failed or expired trade refuses. */
  async pay(provider: SandboxProvider, id: string): Promise<SandboxTrade> {
    const trade = await this.get(provider, id);
    const [updated] = returnedRows<TradeRow>(
      await this.dataSource.query(
        `UPDATE sandbox.sandbox_trades SET status = 'PAID', paid_at = now()
          WHERE provider = $1 AND out_trade_no = $2 AND status = 'WAITING' AND expires_at > now() RETURNING *`,
        [provider, trade.outTradeNo],
      ),
    );
    if (updated) return toTrade(updated);
    const now = await this.get(provider, id);
    if (now.status === 'PAID') throw new TradeAlreadyPaidError();
    throw new TradeClosedError();
  }

  /** The payment fails (WAITING -> FAILED once). */
  async fail(provider: SandboxProvider, id: string): Promise<SandboxTrade> {
    const trade = await this.get(provider, id);
    const rows = returnedRows<TradeRow>(
      await this.dataSource.query(
        `UPDATE sandbox.sandbox_trades SET status = 'FAILED', ended_at = now()
          WHERE provider = $1 AND out_trade_no = $2 AND status = 'WAITING' RETURNING *`,
        [provider, trade.outTradeNo],
      ),
    );
    if (rows[0]) return toTrade(rows[0]);
    if (trade.status === 'PAID') throw new TradeAlreadyPaidError();
    throw new TradeClosedError();
  }

  /** Closes an unpaid trade. */
  async close(provider: SandboxProvider, outTradeNo: string): Promise<'CLOSED' | 'ALREADY_PAID' | 'NOT_FOUND'> {
    const rows = returnedRows(
      await this.dataSource.query(
        `UPDATE sandbox.sandbox_trades SET status = 'CLOSED', ended_at = now()
          WHERE provider = $1 AND out_trade_no = $2 AND status IN ('WAITING', 'CLOSED') RETURNING 1`,
        [provider, outTradeNo],
      ),
    );
    if (rows.length > 0) return 'CLOSED';
    const trade = await this.find(provider, outTradeNo);
    if (!trade) return 'NOT_FOUND';
    return trade.status === 'PAID' ? 'ALREADY_PAID' : 'CLOSED';
  }

  /**
   * Refunds once per refund number, never more than was paid (the trade's
   * refunded total is a conditional update in the same transaction).
   */
  async refund(provider: SandboxProvider, outTradeNo: string, outRefundNo: string, amount: bigint, refundNo: string): Promise<RefundOutcome> {
    return this.dataSource.transaction(async (m: EntityManager) => {
      const [existing] = (await m.query(`SELECT * FROM sandbox.sandbox_refunds WHERE provider = $1 AND out_refund_no = $2`, [provider, outRefundNo])) as RefundRowRaw[];
      if (existing) {
        // a refund number names one refund: the same request again is answered as before, another is refused
        if (existing.out_trade_no !== outTradeNo || BigInt(existing.amount) !== amount) return { ok: false as const, reason: 'REFUND_NO_REUSED' as const };
        const [trade] = (await m.query(`SELECT * FROM sandbox.sandbox_trades WHERE provider = $1 AND out_trade_no = $2`, [provider, outTradeNo])) as TradeRow[];
        return { ok: true as const, refund: toRefund(existing), trade: toTrade(trade), duplicate: true };
      }
      const rows = returnedRows<TradeRow>(
        await m.query(
          `UPDATE sandbox.sandbox_trades SET refunded = refunded + $3
            WHERE provider = $1 AND out_trade_no = $2 AND status = 'PAID' AND amount - refunded >= $3 RETURNING *`,
          [provider, outTradeNo, amount.toString()],
        ),
      );
      if (!rows[0]) {
        const trade = await this.find(provider, outTradeNo);
        if (!trade) return { ok: false as const, reason: 'TRADE_NOT_FOUND' as const };
        if (trade.status !== 'PAID') return { ok: false as const, reason: 'TRADE_NOT_PAID' as const };
        return { ok: false as const, reason: 'REFUND_AMOUNT_EXCEEDED' as const };
      }
      const inserted = (await m.query(
        `INSERT INTO sandbox.sandbox_refunds (provider, out_refund_no, out_trade_no, refund_no, amount) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING *`,
        [provider, outRefundNo, outTradeNo, refundNo, amount.toString()],
      )) as RefundRowRaw[];
      if (!inserted[0]) throw new ConflictError('REFUND_IN_PROGRESS', 'The same refund number is being processed');
      return { ok: true as const, refund: toRefund(inserted[0]), trade: toTrade(rows[0]), duplicate: false };
    });
  }

  async findRefund(provider: SandboxProvider, outRefundNo: string): Promise<SandboxRefund | undefined> {
    const [row] = (await this.dataSource.query(`SELECT * FROM sandbox.sandbox_refunds WHERE provider = $1 AND out_refund_no = $2`, [provider, outRefundNo])) as RefundRowRaw[];
    return row ? toRefund(row) : undefined;
  }

  async setFault(provider: SandboxProvider, fault: SandboxFault): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO sandbox.sandbox_faults (provider, mode, delay_ms, gateway_down) VALUES ($1, $2, $3, $4)
       ON CONFLICT (provider) DO UPDATE
         SET mode = EXCLUDED.mode, delay_ms = EXCLUDED.delay_ms, gateway_down = EXCLUDED.gateway_down, updated_at = now()`,
      [provider, fault.mode, fault.delayMs, fault.gatewayDown],
    );
  }

  async fault(provider: SandboxProvider): Promise<SandboxFault> {
    const [row] = (await this.dataSource.query(`SELECT mode, delay_ms, gateway_down FROM sandbox.sandbox_faults WHERE provider = $1`, [provider])) as {
      mode: SandboxFault['mode'];
      delay_ms: number;
      gateway_down: boolean;
    }[];
    return row ? { mode: row.mode, delayMs: row.delay_ms, gatewayDown: row.gateway_down } : { mode: 'NORMAL', delayMs: 0, gatewayDown: false };
  }

  /** Payments completed and refunds made in [start, end). */
  async settlementEntries(provider: SandboxProvider, start: Date, end: Date): Promise<SettlementEntry[]> {
    const paid = (await this.dataSource.query(
      `SELECT * FROM sandbox.sandbox_trades WHERE provider = $1 AND status = 'PAID' AND paid_at >= $2 AND paid_at < $3 ORDER BY paid_at`,
      [provider, start, end],
    )) as TradeRow[];
    const refunds = (await this.dataSource.query(
      `SELECT r.*, to_jsonb(t.*) AS trade FROM sandbox.sandbox_refunds r
         JOIN sandbox.sandbox_trades t ON t.provider = r.provider AND t.out_trade_no = r.out_trade_no
        WHERE r.provider = $1 AND r.created_at >= $2 AND r.created_at < $3 ORDER BY r.created_at`,
      [provider, start, end],
    )) as (RefundRowRaw & { trade: TradeRow })[];
    return [
      ...paid.map((r) => ({ type: 'PAYMENT' as const, trade: toTrade(r), amount: BigInt(r.amount), at: r.paid_at! })),
      ...refunds.map((r) => {
        const trade = toTrade({ ...r.trade, expires_at: new Date(r.trade.expires_at), created_at: new Date(r.trade.created_at), paid_at: r.trade.paid_at ? new Date(r.trade.paid_at) : null });
        return { type: 'REFUND' as const, trade, refund: toRefund(r), amount: BigInt(r.amount), at: r.created_at };
      }),
    ];
  }

  /** Notification ids repeat on redelivery of the same event, as the real gateways' do. */
  static notificationId(trade: SandboxTrade, overrides: NotificationOverrides): string {
    return overrides.notificationId ?? `${trade.tradeNo}${trade.status === 'PAID' ? 'S' : 'F'}`;
  }
}

interface RefundRowRaw {
  out_refund_no: string;
  out_trade_no: string;
  refund_no: string;
  amount: string;
  created_at: Date;
}

const toRefund = (r: RefundRowRaw): SandboxRefund => ({
  outRefundNo: r.out_refund_no,
  outTradeNo: r.out_trade_no,
  refundNo: r.refund_no,
  amount: BigInt(r.amount),
  createdAt: new Date(r.created_at),
});
