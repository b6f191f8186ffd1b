import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Double-entry ledger. Invariants held by PostgreSQL itself:
 * - a posting's currency is its account's (composite foreign key);
 * - every journal entry sums to zero per currency (deferred constraint
 *   trigger, checked at commit);
 * - postings and journal entries are never updated or deleted (triggers);
 *   corrections are reversing entries;
 * - an account that may not go negative never does (CHECK), except hot
 *   accounts, whose stored balance excludes the credits still queued in
 *   hot_account_credits: their debits check balance + queue under a row lock.
 */
export class Ledger1763700200000 implements MigrationInterface {
  name = 'Ledger1763700200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_type text NOT NULL CHECK (owner_type IN ('USER', 'ORGANIZATION', 'PLATFORM', 'PROVIDER')),
        owner_id text NOT NULL,
        purpose text NOT NULL CHECK (purpose ~ '^[A-Z][A-Z0-9_]*$'),
        currency char(3) NOT NULL CHECK (currency IN ('CNY', 'HKD', 'MOP')),
        allow_negative boolean NOT NULL DEFAULT false,
        hot boolean NOT NULL DEFAULT false,
        balance bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ledger_accounts_owner UNIQUE (owner_type, owner_id, purpose, currency),
        CONSTRAINT ledger_accounts_id_currency UNIQUE (id, currency),
        CONSTRAINT ledger_accounts_non_negative CHECK (allow_negative OR hot OR balance >= 0)
      )`);

    await q.query(`
      CREATE TABLE journal_entries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        reference text NOT NULL UNIQUE CHECK (char_length(reference) BETWEEN 1 AND 200),
        kind text NOT NULL CHECK (kind ~ '^[A-Z][A-Z0-9_]*$'),
        description text,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        reverses uuid REFERENCES journal_entries(id),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE postings (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        entry_id uuid NOT NULL REFERENCES journal_entries(id),
        account_id uuid NOT NULL,
        currency char(3) NOT NULL,
        amount bigint NOT NULL CHECK (amount <> 0),
        balance_after bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT postings_account FOREIGN KEY (account_id, currency) REFERENCES ledger_accounts (id, currency)
      )`);
    await q.query(`CREATE INDEX postings_account_id ON postings (account_id, id DESC)`);
    await q.query(`CREATE INDEX postings_entry ON postings (entry_id)`);

    await q.query(`
      CREATE TABLE hot_account_credits (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_id uuid NOT NULL,
        posting_id bigint NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0)
      )`);
    await q.query(`CREATE INDEX hot_account_credits_account ON hot_account_credits (account_id)`);

    await q.query(`
      CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only; post a reversing entry instead', TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['postings', 'journal_entries']) {
      await q.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ledger_append_only()`);
      await q.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()`);
    }

    await q.query(`
      CREATE FUNCTION ledger_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM postings WHERE entry_id = NEW.entry_id GROUP BY currency HAVING sum(amount) <> 0) THEN
          RAISE EXCEPTION 'journal entry % does not balance', NEW.entry_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER postings_balanced AFTER INSERT ON postings
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS hot_account_credits, postings, journal_entries, ledger_accounts`);
    await q.query(`DROP FUNCTION IF EXISTS ledger_entry_balanced(), ledger_append_only()`);
  }
}
