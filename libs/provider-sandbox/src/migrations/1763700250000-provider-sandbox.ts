import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sandbox gateways' own records: the merchant accounts they issued
 * (key pairs generated on first start), their trades and refunds, and the
 * fault switch. Nothing of the platform refers to these tables.
 */
export class ProviderSandbox1763700250000 implements MigrationInterface {
  name = 'ProviderSandbox1763700250000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sandbox_merchants (
        provider text PRIMARY KEY,
        merchant jsonb NOT NULL,
        gateway jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE sandbox_trades (
        provider text NOT NULL,
        out_trade_no text NOT NULL,
        trade_no text NOT NULL,
        merchant_id text NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        currency char(3) NOT NULL,
        subject text NOT NULL DEFAULT '',
        notify_url text NOT NULL,
        status text NOT NULL DEFAULT 'WAITING' CHECK (status IN ('WAITING', 'PAID', 'FAILED', 'CLOSED')),
        refunded bigint NOT NULL DEFAULT 0,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        paid_at timestamptz,
        ended_at timestamptz,
        PRIMARY KEY (provider, out_trade_no),
        UNIQUE (provider, trade_no),
        CHECK (refunded >= 0 AND refunded <= amount)
      )`);
    await q.query(`
      CREATE TABLE sandbox_refunds (
        provider text NOT NULL,
        out_refund_no text NOT NULL,
        out_trade_no text NOT NULL,
        refund_no text NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, out_refund_no),
        FOREIGN KEY (provider, out_trade_no) REFERENCES sandbox_trades (provider, out_trade_no)
      )`);
    await q.query(`
      CREATE TABLE sandbox_faults (
        provider text PRIMARY KEY,
        mode text NOT NULL CHECK (mode IN ('NORMAL', 'DROP', 'DUPLICATE', 'DELAY_MS')),
        delay_ms integer NOT NULL DEFAULT 0 CHECK (delay_ms BETWEEN 0 AND 600000),
        gateway_down boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sandbox_faults, sandbox_refunds, sandbox_trades, sandbox_merchants`);
  }
}
