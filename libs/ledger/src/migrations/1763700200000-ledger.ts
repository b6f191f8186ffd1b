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
    await q.query(`CREATE UNIQUE INDEX journal_entries_reverses ON journal_entries (reverses) WHERE reverses IS NOT NULL`);
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

    // The backstop for hot accounts, whose row CHECK cannot see the queue:
    // at commit, stored balance plus queued credits must not be negative.
    await q.query(`
      CREATE FUNCTION ledger_hot_non_negative() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT a.balance + COALESCE((SELECT sum(h.amount) FROM hot_account_credits h WHERE h.account_id = a.id), 0)
              FROM ledger_accounts a WHERE a.id = NEW.id) < 0 THEN
          RAISE EXCEPTION 'hot account % would go negative', NEW.id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER ledger_accounts_hot_non_negative AFTER UPDATE OF balance ON ledger_accounts
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.hot AND NOT NEW.allow_negative)
        EXECUTE FUNCTION ledger_hot_non_negative()`);

    // One journal entry in one statement (one round trip): postings in the
    // order given (the caller sorts them by account id, the lock order);
    // an account that may not go negative is debited by a conditional
    // update; a hot account's credits are queued, its debits checked against
    // balance plus queue under its row lock. SQLSTATE LD402: insufficient funds.
    await q.query(`
      CREATE FUNCTION ledger_post(
        p_reference text, p_kind text, p_description text, p_metadata jsonb, p_reverses uuid,
        p_accounts uuid[], p_currencies text[], p_amounts bigint[]
      ) RETURNS TABLE (entry_id uuid, duplicate boolean, posting_id bigint, account_id uuid, amount bigint, balance_after bigint)
      LANGUAGE plpgsql AS $$
      DECLARE
        v_entry uuid;
        v_account ledger_accounts%ROWTYPE;
        v_balance bigint;
        v_available bigint;
        v_posting bigint;
      BEGIN
        INSERT INTO journal_entries (reference, kind, description, metadata, reverses)
        VALUES (p_reference, p_kind, p_description, COALESCE(p_metadata, '{}'::jsonb), p_reverses)
        ON CONFLICT (reference) DO NOTHING
        RETURNING id INTO v_entry;
        IF v_entry IS NULL THEN
          -- the same reference must mean the same movement: a caller reusing one for
          -- other postings has a bug that must not pass as a harmless duplicate
          IF (SELECT count(*) FROM postings p JOIN journal_entries e ON e.id = p.entry_id WHERE e.reference = p_reference)
               <> array_length(p_accounts, 1)
             OR EXISTS (
               SELECT 1 FROM unnest(p_accounts, p_amounts) AS x(acc, amt)
                WHERE NOT EXISTS (
                  SELECT 1 FROM postings p JOIN journal_entries e ON e.id = p.entry_id
                   WHERE e.reference = p_reference AND p.account_id = x.acc AND p.amount = x.amt))
          THEN
            RAISE EXCEPTION 'reference % was already posted with other postings', p_reference USING ERRCODE = 'LD409';
          END IF;
          RETURN QUERY
            SELECT e.id, true, p.id, p.account_id, p.amount, p.balance_after
              FROM journal_entries e JOIN postings p ON p.entry_id = e.id
             WHERE e.reference = p_reference ORDER BY p.id;
          RETURN;
        END IF;
        FOR i IN 1 .. array_length(p_accounts, 1) LOOP
          SELECT * INTO v_account FROM ledger_accounts WHERE id = p_accounts[i];
          IF NOT FOUND THEN
            RAISE EXCEPTION 'no ledger account %', p_accounts[i];
          END IF;
          IF v_account.currency <> p_currencies[i] THEN
            RAISE EXCEPTION 'account % holds %, not %', p_accounts[i], v_account.currency, p_currencies[i];
          END IF;
          IF v_account.hot AND p_amounts[i] > 0 THEN
            v_balance := NULL;
          ELSIF v_account.hot THEN
            -- lock first; then read in a new statement, whose fresh snapshot sees a roll-up
            -- that committed while we waited as a whole (queue emptied and balance raised).
            -- Reading both under the lock in one statement counted rolled-up credits twice.
            PERFORM 1 FROM ledger_accounts WHERE id = p_accounts[i] FOR NO KEY UPDATE;
            SELECT a.balance + COALESCE((SELECT sum(h.amount) FROM hot_account_credits h WHERE h.account_id = a.id), 0)
              INTO v_available FROM ledger_accounts a WHERE a.id = p_accounts[i];
            IF NOT v_account.allow_negative AND v_available + p_amounts[i] < 0 THEN
              RAISE EXCEPTION 'insufficient funds in account %', p_accounts[i] USING ERRCODE = 'LD402';
            END IF;
            UPDATE ledger_accounts SET balance = balance + p_amounts[i] WHERE id = p_accounts[i];
            v_balance := v_available + p_amounts[i];
          ELSE
            UPDATE ledger_accounts SET balance = balance + p_amounts[i]
             WHERE id = p_accounts[i] AND (allow_negative OR balance + p_amounts[i] >= 0)
             RETURNING balance INTO v_balance;
            IF NOT FOUND THEN
              RAISE EXCEPTION 'insufficient funds in account %', p_accounts[i] USING ERRCODE = 'LD402';
            END IF;
          END IF;
          INSERT INTO postings (entry_id, account_id, currency, amount, balance_after)
          VALUES (v_entry, p_accounts[i], p_currencies[i], p_amounts[i], v_balance)
          RETURNING id INTO v_posting;
          IF v_account.hot AND p_amounts[i] > 0 THEN
            INSERT INTO hot_account_credits (account_id, posting_id, amount) VALUES (p_accounts[i], v_posting, p_amounts[i]);
          END IF;
          entry_id := v_entry; duplicate := false; posting_id := v_posting;
          account_id := p_accounts[i]; amount := p_amounts[i]; balance_after := v_balance;
          RETURN NEXT;
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS ledger_post(text, text, text, jsonb, uuid, uuid[], text[], bigint[])`);
    await q.query(`DROP TABLE IF EXISTS hot_account_credits, postings, journal_entries, ledger_accounts`);
    await q.query(`DROP FUNCTION IF EXISTS ledger_entry_balanced(), ledger_append_only(), ledger_hot_non_negative()`);
  }
}
