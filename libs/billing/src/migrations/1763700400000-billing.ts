import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bill payment. A bill's paid amount only moves by conditional updates
 * (never more than owed unless its biller takes advance payments); a
 * payment is unique per idempotent request and per auto-pay attempt; receipt
 * numbers come from one sequence.
 */
export class Billing1763700400000 implements MigrationInterface {
  name = 'Billing1763700400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE bills (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        biller_id uuid NOT NULL REFERENCES organizations (id),
        customer_ref text NOT NULL CHECK (char_length(customer_ref) BETWEEN 1 AND 64),
        period char(7) NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
        amount bigint NOT NULL CHECK (amount > 0),
        currency char(3) NOT NULL CHECK (currency IN ('CNY', 'HKD', 'MOP')),
        due_date date NOT NULL,
        customer_name text,
        paid_amount bigint NOT NULL DEFAULT 0 CHECK (paid_amount >= 0),
        has_payments boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (biller_id, customer_ref, period)
      )`);
    await q.query(`CREATE INDEX bills_open ON bills (biller_id, customer_ref) WHERE paid_amount < amount`);

    await q.query(`CREATE SEQUENCE bill_receipt_numbers`);
    await q.query(`
      CREATE TABLE bill_payments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        bill_id uuid NOT NULL REFERENCES bills (id),
        biller_id uuid NOT NULL REFERENCES organizations (id),
        payer_user_id uuid NOT NULL REFERENCES users (id),
        amount bigint NOT NULL CHECK (amount > 0),
        amount_explicit boolean NOT NULL DEFAULT true,
        currency char(3) NOT NULL,
        method text NOT NULL CHECK (method IN ('WALLET', 'ALIPAY', 'WECHAT_PAY', 'UNIONPAY', 'ALIPAY_HK')),
        status text NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED', 'REFUNDED')),
        payment_order_id uuid REFERENCES payment_orders (id),
        autopay_account_id uuid,
        receipt_no text UNIQUE,
        failure_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        paid_at timestamptz,
        ended_at timestamptz,
        CHECK ((status = 'SUCCEEDED') = (receipt_no IS NOT NULL AND paid_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX bill_payments_bill ON bill_payments (bill_id)`);
    await q.query(`CREATE INDEX bill_payments_payer ON bill_payments (payer_user_id, created_at DESC)`);
    await q.query(`CREATE INDEX bill_payments_settlement ON bill_payments (biller_id, paid_at) WHERE status = 'SUCCEEDED'`);
    await q.query(`CREATE UNIQUE INDEX bill_payments_order ON bill_payments (payment_order_id) WHERE payment_order_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE biller_accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id),
        biller_id uuid NOT NULL REFERENCES organizations (id),
        customer_ref text NOT NULL CHECK (char_length(customer_ref) BETWEEN 1 AND 64),
        alias text,
        autopay_max_amount bigint CHECK (autopay_max_amount > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (user_id, biller_id, customer_ref)
      )`);
    await q.query(`CREATE INDEX biller_accounts_ref ON biller_accounts (biller_id, customer_ref) WHERE autopay_max_amount IS NOT NULL`);
    await q.query(`
      CREATE TABLE autopay_attempts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES biller_accounts (id),
        bill_id uuid NOT NULL REFERENCES bills (id),
        status text NOT NULL CHECK (status IN ('PENDING', 'PAID', 'FAILED')),
        reason text,
        payment_id uuid REFERENCES bill_payments (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (account_id, bill_id)
      )`);

    await q.query(`
      CREATE TABLE biller_webhooks (
        biller_id uuid PRIMARY KEY REFERENCES organizations (id),
        url text NOT NULL,
        secret text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        biller_id uuid NOT NULL REFERENCES organizations (id),
        event_type text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
        attempts integer NOT NULL DEFAULT 0,
        last_status_code integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz
      )`);
    await q.query(`CREATE INDEX webhook_deliveries_biller ON webhook_deliveries (biller_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries, biller_webhooks, autopay_attempts, biller_accounts, bill_payments, bills`);
    await q.query(`DROP SEQUENCE bill_receipt_numbers`);
  }
}
