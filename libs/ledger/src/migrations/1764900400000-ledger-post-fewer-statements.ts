import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * ledger_post() cheaper for the common entry, two postings on two accounts
 * (a campus charge, a wallet bill payment), with the same answers, rules and
 * error codes. Measured with callgrind, most of a posting's work is per
 * statement start-up, and an INSERT/UPDATE re-reads its table's CHECK
 * constraints each time (ledger_accounts has five): ~20% of the instructions.
 * So, for two distinct accounts:
 * - the two accounts are read as before (missing account, currency, in the
 *   order of the postings);
 * - the accounts that are not hot are moved by ONE UPDATE (both of them, for
 *   a wallet payment: locked in id order), whose WHERE is the old
 *   per-posting rule: allow_negative, or a credit, or the balance stays >= 0
 *   (>= -floor when the transaction set ledger.use_floor); an account it
 *   left out is refused with LD402 'insufficient funds in account %', the
 *   first posting's account first;
 * - the two postings by ONE INSERT, and a credit to a hot account queued in
 *   hot_account_credits by the same statement (balance_after NULL as before);
 * - an entry debiting a hot account, or of another shape, takes the
 *   per-posting path unchanged.
 * The deferred "entry balances" trigger still runs per posting, for every
 * writer; its function loses its SET search_path (its one table qualified
 * instead): a SET clause costs a GUC save and restore on every call.
 * Only with several faults in one entry may the error reported differ (e.g.
 * a missing second account is now reported before the first posting's
 * LD402).
 */
export class LedgerPostFewerStatements1764900400000 implements MigrationInterface {
  name = 'LedgerPostFewerStatements1764900400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(POST);
    await q.query(BALANCED);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(OLD_POST);
    await q.query(OLD_BALANCED);
  }
}

/** ledger_post()'s loop over the postings of any other shape, the same before and after this migration. */
const PER_POSTING = `        FOR i IN 1 .. array_length(p_accounts, 1) LOOP
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
             WHERE id = p_accounts[i] AND (allow_negative OR p_amounts[i] > 0 OR balance + p_amounts[i] >= CASE WHEN current_setting('ledger.use_floor', true) = 'on' THEN -floor ELSE 0 END)
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
`;

const POST = `
CREATE OR REPLACE FUNCTION ledger.ledger_post(p_reference text, p_kind text, p_description text, p_metadata jsonb, p_reverses uuid, p_accounts uuid[], p_currencies text[], p_amounts bigint[])
 RETURNS TABLE(entry_id uuid, duplicate boolean, posting_id bigint, account_id uuid, amount bigint, balance_after bigint)
 LANGUAGE plpgsql
 SET search_path TO 'ledger', 'public'
AS $function$
      DECLARE
        v_entry uuid;
        v_account ledger_accounts%ROWTYPE;
        v_balance bigint;
        v_available bigint;
        v_posting bigint;
        v_account2 ledger_accounts%ROWTYPE;
        v_hot1 boolean;
        v_hot2 boolean;
        v_balance2 bigint;
        v_id uuid;
        v_new bigint;
        v_i int;
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
        -- two postings on two accounts (a charge, a payment): the accounts read once each, the
        -- accounts that are not hot moved by ONE UPDATE, the two postings written by ONE INSERT
        IF array_length(p_accounts, 1) = 2 AND p_accounts[1] <> p_accounts[2] THEN
          SELECT * INTO v_account FROM ledger_accounts WHERE id = p_accounts[1];
          IF NOT FOUND THEN
            RAISE EXCEPTION 'no ledger account %', p_accounts[1];
          END IF;
          IF v_account.currency <> p_currencies[1] THEN
            RAISE EXCEPTION 'account % holds %, not %', p_accounts[1], v_account.currency, p_currencies[1];
          END IF;
          SELECT * INTO v_account2 FROM ledger_accounts WHERE id = p_accounts[2];
          IF NOT FOUND THEN
            RAISE EXCEPTION 'no ledger account %', p_accounts[2];
          END IF;
          IF v_account2.currency <> p_currencies[2] THEN
            RAISE EXCEPTION 'account % holds %, not %', p_accounts[2], v_account2.currency, p_currencies[2];
          END IF;
          v_hot1 := v_account.hot AND p_amounts[1] > 0;
          v_hot2 := v_account2.hot AND p_amounts[2] > 0;
          IF (v_account.hot AND v_hot1 IS NOT TRUE) OR (v_account2.hot AND v_hot2 IS NOT TRUE) THEN
            NULL; -- a hot account debited (locked, then read with its queued credits): the general path below
          ELSE
            v_balance := NULL;
            v_balance2 := NULL;
            IF v_account.hot OR v_account2.hot THEN
              v_i := CASE WHEN v_account.hot THEN 2 ELSE 1 END;
              -- one account to move (the other is a hot account credited): the plain UPDATE
              UPDATE ledger_accounts a SET balance = a.balance + p_amounts[v_i]
               WHERE a.id = p_accounts[v_i] AND NOT a.hot
                 AND (a.allow_negative OR p_amounts[v_i] > 0
                      OR a.balance + p_amounts[v_i] >= CASE WHEN current_setting('ledger.use_floor', true) = 'on' THEN -a.floor ELSE 0 END)
              RETURNING a.balance INTO v_new;
              IF v_account.hot THEN v_balance2 := v_new; ELSE v_balance := v_new; END IF;
            ELSE
              FOR v_id, v_new IN
                UPDATE ledger_accounts a SET balance = a.balance + CASE WHEN a.id = p_accounts[1] THEN p_amounts[1] ELSE p_amounts[2] END
                 WHERE a.id IN (p_accounts[1], p_accounts[2]) AND NOT a.hot
                   AND (a.allow_negative OR CASE WHEN a.id = p_accounts[1] THEN p_amounts[1] ELSE p_amounts[2] END > 0
                        OR a.balance + CASE WHEN a.id = p_accounts[1] THEN p_amounts[1] ELSE p_amounts[2] END
                           >= CASE WHEN current_setting('ledger.use_floor', true) = 'on' THEN -a.floor ELSE 0 END)
                RETURNING a.id, a.balance
              LOOP
                IF v_id = p_accounts[1] THEN v_balance := v_new; ELSE v_balance2 := v_new; END IF;
              END LOOP;
            END IF;
            IF v_balance IS NULL AND NOT v_account.hot THEN
              RAISE EXCEPTION 'insufficient funds in account %', p_accounts[1] USING ERRCODE = 'LD402';
            END IF;
            IF v_balance2 IS NULL AND NOT v_account2.hot THEN
              RAISE EXCEPTION 'insufficient funds in account %', p_accounts[2] USING ERRCODE = 'LD402';
            END IF;
            RETURN QUERY
              WITH p AS (
                INSERT INTO postings AS t (entry_id, account_id, currency, amount, balance_after)
                VALUES (v_entry, p_accounts[1], p_currencies[1], p_amounts[1], v_balance),
                       (v_entry, p_accounts[2], p_currencies[2], p_amounts[2], v_balance2)
                RETURNING t.id, t.account_id, t.amount, t.balance_after),
              h AS (
                INSERT INTO hot_account_credits (account_id, posting_id, amount)
                SELECT p.account_id, p.id, p.amount FROM p
                 WHERE (v_hot1 AND p.account_id = p_accounts[1]) OR (v_hot2 AND p.account_id = p_accounts[2]))
              SELECT v_entry, false, p.id, p.account_id, p.amount, p.balance_after FROM p ORDER BY p.id;
            RETURN;
          END IF;
        END IF;
${PER_POSTING}      END $function$`;

const BALANCED = `
CREATE OR REPLACE FUNCTION ledger.ledger_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM ledger.postings WHERE entry_id = NEW.entry_id GROUP BY currency HAVING sum(amount) <> 0) THEN
          RAISE EXCEPTION 'journal entry % does not balance', NEW.entry_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`;

/** As the migrations before this one left them. */
const OLD_POST = `
CREATE OR REPLACE FUNCTION ledger.ledger_post(p_reference text, p_kind text, p_description text, p_metadata jsonb, p_reverses uuid, p_accounts uuid[], p_currencies text[], p_amounts bigint[])
 RETURNS TABLE(entry_id uuid, duplicate boolean, posting_id bigint, account_id uuid, amount bigint, balance_after bigint)
 LANGUAGE plpgsql
 SET search_path TO 'ledger', 'public'
AS $function$
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
${PER_POSTING}      END $function$`;

const OLD_BALANCED = `
CREATE OR REPLACE FUNCTION ledger.ledger_entry_balanced()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'ledger', 'public'
AS $function$
      BEGIN
        IF EXISTS (SELECT 1 FROM postings WHERE entry_id = NEW.entry_id GROUP BY currency HAVING sum(amount) <> 0) THEN
          RAISE EXCEPTION 'journal entry % does not balance', NEW.entry_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $function$`;
