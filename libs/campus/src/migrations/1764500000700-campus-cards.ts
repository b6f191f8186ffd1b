import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The campus card: rosters, cards (two ledger accounts each: cash and
 * subsidy purses), card codes used, charges and their refunds, subsidy
 * batches and lots (what is left of each subsidy, for expiry and for
 * spending subsidies first), top-ups, PIN failures, status history (frozen
 * at a moment, for offline uploads), offline upload results (DUPLICATE by
 * chargeId) and the card's history with balanceAfter.
 */
export class CampusCards1764500000700 implements MigrationInterface {
  name = 'CampusCards1764500000700';

  async up(q: QueryRunner): Promise<void> {
    // a short university reference: the `aud` of card codes (a code has 256 characters in all)
    await q.query(`ALTER TABLE campus.universities ADD COLUMN code_ref text UNIQUE CHECK (code_ref ~ '^[A-Za-z0-9_-]{4}$')`);
    await q.query(`UPDATE campus.universities SET code_ref = substr(md5(organization_id::text), 1, 4)`);
    await q.query(`ALTER TABLE campus.universities ALTER COLUMN code_ref SET NOT NULL`);
    await q.query(`
      CREATE TABLE campus.members (
        university_id uuid NOT NULL REFERENCES campus.universities (organization_id),
        member_no text NOT NULL CHECK (char_length(member_no) BETWEEN 1 AND 64),
        full_name text NOT NULL,
        name_key text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('STUDENT', 'STAFF')),
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (university_id, member_no)
      )`);
    await q.query(`
      CREATE TABLE campus.cards (
        id uuid PRIMARY KEY,
        ref text NOT NULL UNIQUE,
        university_id uuid NOT NULL,
        member_no text NOT NULL,
        user_id uuid NOT NULL,
        status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'FROZEN')),
        currency char(3) NOT NULL DEFAULT 'CNY',
        daily_limit bigint NOT NULL CHECK (daily_limit > 0),
        password_free_limit bigint NOT NULL CHECK (password_free_limit >= 0),
        offline_limit bigint NOT NULL CHECK (offline_limit >= 0),
        cash_account_id uuid NOT NULL,
        subsidy_account_id uuid NOT NULL,
        pin_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (university_id, member_no),
        FOREIGN KEY (university_id, member_no) REFERENCES campus.members (university_id, member_no)
      )`);
    await q.query(`CREATE INDEX cards_user ON campus.cards (user_id)`);
    await q.query(`
      CREATE TABLE campus.card_status_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        card_id uuid NOT NULL REFERENCES campus.cards (id),
        status text NOT NULL CHECK (status IN ('ACTIVE', 'FROZEN')),
        reason text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX card_status_events_card ON campus.card_status_events (card_id, at DESC)`);
    await q.query(`
      CREATE TABLE campus.pin_failures (
        card_id uuid NOT NULL REFERENCES campus.cards (id),
        day date NOT NULL,
        failures int NOT NULL,
        PRIMARY KEY (card_id, day)
      )`);
    await q.query(`
      CREATE TABLE campus.card_days (
        card_id uuid NOT NULL REFERENCES campus.cards (id),
        day date NOT NULL,
        spent bigint NOT NULL CHECK (spent >= 0),
        PRIMARY KEY (card_id, day)
      )`);
    await q.query(`
      CREATE TABLE campus.used_codes (
        jti text PRIMARY KEY,
        card_id uuid NOT NULL,
        used_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE campus.charges (
        id uuid PRIMARY KEY,
        card_id uuid NOT NULL REFERENCES campus.cards (id),
        merchant_id uuid NOT NULL REFERENCES campus.merchants (organization_id),
        device_id uuid,
        amount bigint NOT NULL CHECK (amount > 0),
        subsidy_amount bigint NOT NULL CHECK (subsidy_amount >= 0),
        cash_amount bigint NOT NULL CHECK (cash_amount >= 0),
        refunded_subsidy bigint NOT NULL DEFAULT 0,
        refunded_cash bigint NOT NULL DEFAULT 0,
        currency char(3) NOT NULL,
        description text,
        mode text NOT NULL CHECK (mode IN ('ONLINE', 'OFFLINE')),
        code_jti text NOT NULL,
        charged_at timestamptz NOT NULL,
        posted_at timestamptz NOT NULL DEFAULT now(),
        CHECK (subsidy_amount + cash_amount = amount),
        CHECK (refunded_subsidy BETWEEN 0 AND subsidy_amount),
        CHECK (refunded_cash BETWEEN 0 AND cash_amount)
      )`);
    await q.query(`CREATE INDEX charges_merchant_posted ON campus.charges (merchant_id, posted_at)`);
    await q.query(`
      CREATE TABLE campus.refunds (
        id uuid PRIMARY KEY,
        charge_id uuid NOT NULL REFERENCES campus.charges (id),
        merchant_id uuid NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        subsidy_amount bigint NOT NULL,
        cash_amount bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX refunds_merchant_created ON campus.refunds (merchant_id, created_at)`);
    await q.query(`
      CREATE TABLE campus.subsidy_batches (
        id uuid PRIMARY KEY,
        university_id uuid NOT NULL REFERENCES campus.universities (organization_id),
        amount bigint NOT NULL CHECK (amount > 0),
        memo text NOT NULL,
        expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE campus.subsidy_lots (
        id uuid PRIMARY KEY,
        card_id uuid NOT NULL REFERENCES campus.cards (id),
        batch_id uuid NOT NULL REFERENCES campus.subsidy_batches (id),
        amount bigint NOT NULL CHECK (amount >= 0),
        remaining bigint NOT NULL CHECK (remaining >= 0),
        expired bigint NOT NULL DEFAULT 0,
        expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (batch_id, card_id)
      )`);
    await q.query(`CREATE INDEX subsidy_lots_card ON campus.subsidy_lots (card_id) WHERE remaining > 0`);
    await q.query(`CREATE INDEX subsidy_lots_due ON campus.subsidy_lots (expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL`);
    await q.query(`
      CREATE TABLE campus.charge_lot_uses (
        charge_id uuid NOT NULL REFERENCES campus.charges (id),
        lot_id uuid NOT NULL REFERENCES campus.subsidy_lots (id),
        amount bigint NOT NULL CHECK (amount > 0),
        restored bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (charge_id, lot_id),
        CHECK (restored BETWEEN 0 AND amount)
      )`);
    await q.query(`
      CREATE TABLE campus.top_ups (
        id uuid PRIMARY KEY,
        card_id uuid NOT NULL REFERENCES campus.cards (id),
        user_id uuid NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        source text NOT NULL,
        status text NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
        payment_order_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE campus.offline_results (
        charge_id uuid PRIMARY KEY,
        device_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('SUCCEEDED', 'REJECTED')),
        reason text,
        card_balance_after bigint,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE campus.card_movements (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        card_id uuid NOT NULL REFERENCES campus.cards (id),
        kind text NOT NULL CHECK (kind IN ('TOP_UP', 'CHARGE', 'REFUND', 'SUBSIDY', 'SUBSIDY_EXPIRY')),
        amount bigint NOT NULL,
        subsidy_amount bigint NOT NULL,
        balance_after bigint NOT NULL,
        subsidy_balance_after bigint NOT NULL,
        ref_id uuid,
        description text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX card_movements_card ON campus.card_movements (card_id, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['card_movements', 'offline_results', 'top_ups', 'charge_lot_uses', 'subsidy_lots', 'subsidy_batches', 'refunds', 'charges', 'used_codes', 'card_days', 'pin_failures', 'card_status_events', 'cards', 'members']) {
      await q.query(`DROP TABLE campus.${t}`);
    }
    await q.query(`ALTER TABLE campus.universities DROP COLUMN code_ref`);
  }
}
