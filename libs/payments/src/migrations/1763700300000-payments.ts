import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payment orders: the platform's record of a provider payment. Transitions
 * are conditional updates (PENDING -> one end state, once); captured money is
 * marked once (captured_at), refunds can never exceed it (CHECK plus a
 * conditional update), a provider's notification id is processed once.
 */
export class Payments1763700300000 implements MigrationInterface {
  name = 'Payments1763700300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payment_orders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        out_trade_no text NOT NULL UNIQUE,
        user_id uuid NOT NULL REFERENCES users (id),
        purpose text NOT NULL CHECK (purpose ~ '^[A-Z][A-Z0-9_]*$'),
        purpose_ref text,
        provider text NOT NULL CHECK (provider IN ('ALIPAY', 'WECHAT_PAY', 'UNIONPAY', 'ALIPAY_HK')),
        merchant_id text NOT NULL,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED', 'EXPIRED')),
        amount bigint NOT NULL CHECK (amount > 0),
        currency char(3) NOT NULL,
        provider_amount bigint NOT NULL CHECK (provider_amount > 0),
        provider_currency char(3) NOT NULL,
        fx_rate numeric(18, 8),
        fx_source text,
        fx_as_of timestamptz,
        subject text NOT NULL,
        provider_trade_id text,
        qr_payload text,
        redirect_url text,
        expires_at timestamptz NOT NULL,
        next_query_at timestamptz NOT NULL,
        watch_until timestamptz,
        query_attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        completed_by text CHECK (completed_by IN ('NOTIFICATION', 'QUERY', 'EXPIRY', 'PROVIDER_ERROR')),
        failure_reason text,
        captured_at timestamptz,
        late_capture boolean NOT NULL DEFAULT false,
        refunded_amount bigint NOT NULL DEFAULT 0,
        refunded_provider_amount bigint NOT NULL DEFAULT 0,
        CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
        CHECK (refunded_provider_amount >= 0 AND refunded_provider_amount <= provider_amount),
        CHECK (refunded_amount = 0 OR captured_at IS NOT NULL),
        CHECK ((status = 'PENDING') = (completed_at IS NULL)),
        CHECK (fx_rate IS NULL OR (fx_source IS NOT NULL AND fx_as_of IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX payment_orders_due ON payment_orders (next_query_at) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX payment_orders_watched ON payment_orders (next_query_at) WHERE watch_until IS NOT NULL`);
    await q.query(`CREATE INDEX payment_orders_user ON payment_orders (user_id, created_at DESC)`);
    await q.query(`CREATE INDEX payment_orders_captured ON payment_orders (provider, captured_at) WHERE captured_at IS NOT NULL`);
    await q.query(`CREATE INDEX payment_orders_purpose ON payment_orders (purpose, purpose_ref)`);

    await q.query(`
      CREATE TABLE payment_notifications (
        provider text NOT NULL,
        notification_id text NOT NULL,
        order_id uuid NOT NULL REFERENCES payment_orders (id),
        outcome text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, order_id, notification_id)
      )`);

    await q.query(`
      CREATE TABLE payment_refunds (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id uuid NOT NULL REFERENCES payment_orders (id),
        request_key text NOT NULL,
        out_refund_no text NOT NULL UNIQUE,
        amount bigint NOT NULL CHECK (amount > 0),
        provider_amount bigint NOT NULL CHECK (provider_amount > 0),
        source_account_id uuid NOT NULL REFERENCES ledger_accounts (id),
        reason text NOT NULL,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
        provider_refund_id text,
        failure_reason text,
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        UNIQUE (order_id, request_key)
      )`);
    await q.query(`CREATE INDEX payment_refunds_completed ON payment_refunds (completed_at) WHERE status = 'SUCCEEDED'`);

    await q.query(`
      CREATE TABLE reconciliation_runs (
        business_date date NOT NULL,
        provider text NOT NULL,
        ran_at timestamptz NOT NULL DEFAULT now(),
        platform_rows integer NOT NULL,
        provider_rows integer NOT NULL,
        mismatches integer NOT NULL,
        error text,
        PRIMARY KEY (business_date, provider)
      )`);
    await q.query(`
      CREATE TABLE reconciliation_mismatches (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        business_date date NOT NULL,
        provider text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('MISSING_AT_PROVIDER', 'MISSING_AT_PLATFORM', 'AMOUNT_MISMATCH')),
        entry_type text NOT NULL CHECK (entry_type IN ('PAYMENT', 'REFUND')),
        out_trade_no text NOT NULL,
        out_refund_no text NOT NULL DEFAULT '',
        order_id uuid REFERENCES payment_orders (id),
        platform_amount bigint,
        provider_amount bigint,
        currency char(3) NOT NULL,
        detected_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (business_date, provider, entry_type, out_trade_no, out_refund_no)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reconciliation_mismatches, reconciliation_runs, payment_refunds, payment_notifications, payment_orders`);
  }
}
