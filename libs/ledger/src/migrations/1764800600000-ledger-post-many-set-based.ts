import type { MigrationInterface, QueryRunner } from 'typeorm';
import { LedgerPostMany1764600000200 } from './1764600000200-ledger-post-many.js';

/**
 * ledger_post_many() set-based: a batch of N entries costs a fixed handful of
 * statements instead of ~5 per entry (it called ledger_post() once per
 * entry, with a lock, a read and an existence check before each), which
 * made the ledger the bottleneck of bus tap uploads.
 *
 * Same signature, same answers, same rules:
 * - an entry whose reference is already posted is answered duplicate (the
 *   same reference with other postings is SQLSTATE LD409, as ledger_post());
 *   a reference repeated inside the batch is posted once;
 * - the accounts the batch updates are locked once, in id order (every
 *   account that is not hot, and hot accounts that are debited; credits to a
 *   hot account take no lock and are queued in hot_account_credits);
 * - then, in the order given, an entry is refused (INSUFFICIENT_FUNDS, the
 *   others still posted) when one of its debits would take an account that
 *   may not go negative below its limit, counting the entries of the batch
 *   posted before it: 0, or -floor when the transaction set
 *   `ledger.use_floor` (ledger_post()'s rule); a hot account's limit is 0
 *   against its stored balance plus its queued credits. Credits are never
 *   refused. The decisions are made in memory (no statement per entry);
 * - then one INSERT of the journal entries, one of the postings (with
 *   balance_after as ledger_post() writes it) and the queued hot credits,
 *   and one UPDATE per account of the balances. The CHECK and the deferred
 *   triggers (balanced entries, hot accounts non-negative) still hold as
 *   the backstop.
 * A reference posted by a concurrent transaction while this one waited for
 * it fails the call with SQLSTATE 40001 (the caller retries the whole
 * transaction, which then sees it as a duplicate): the balances decided
 * counted that entry.
 */
export class LedgerPostManySetBased1764800600000 implements MigrationInterface {
  name = 'LedgerPostManySetBased1764800600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION ledger.ledger_post_many(
        p_references text[], p_kinds text[], p_descriptions text[], p_metadata jsonb[],
        p_counts int[], p_accounts uuid[], p_currencies text[], p_amounts bigint[]
      ) RETURNS TABLE (idx int, entry_id uuid, duplicate boolean, refused text)
      LANGUAGE plpgsql SET search_path = ledger AS $$
      #variable_conflict use_column
      DECLARE
        n int := coalesce(array_length(p_references, 1), 0);
        np int := coalesce(array_length(p_accounts, 1), 0);
        v_use_floor boolean := coalesce(current_setting('ledger.use_floor', true), '') = 'on';
        v_start int[];     -- per entry: the index of its first posting
        v_first int[];     -- per entry: the first entry of the batch with its reference
        v_existing uuid[]; -- per entry: the entry already posted under its reference
        v_state "char"[];  -- per entry: P posted now, D duplicate, R refused
        v_posted int[];    -- per first entry of a reference: the entry that posted it
        v_eid uuid[];      -- per entry: the id of its new journal entry
        v_entry int[];     -- per posting: its entry
        v_k int[];         -- per posting: its account's index in v_ids
        v_after bigint[];  -- per posting: balance_after
        v_ids uuid[];      -- the accounts, id order
        v_hot boolean[];
        v_neg boolean[];
        v_cur text[];
        v_limit bigint[];
        v_bal bigint[];    -- running balance (a hot account's: with its queued credits)
        v_lock uuid[];
        v_hot_ids uuid[];
        v_hot_debited uuid[];
        v_from int;
        v_to int;
        v_ok boolean;
        v_k1 int;
        v_missing uuid;
        v_inserted int;
        v_count int := 0;
      BEGIN
        IF n = 0 THEN
          RETURN;
        END IF;
        IF coalesce(array_length(p_counts, 1), 0) <> n OR EXISTS (SELECT 1 FROM unnest(p_counts) c WHERE c IS NULL OR c < 1)
           OR (SELECT sum(c) FROM unnest(p_counts) c) <> np THEN
          RAISE EXCEPTION 'p_counts must give each entry''s number of postings, summing to the postings given' USING ERRCODE = 'invalid_parameter_value';
        END IF;

        SELECT array_agg(c.i::int ORDER BY c.i, g.j) INTO v_entry
          FROM unnest(p_counts) WITH ORDINALITY c(cnt, i), generate_series(1, c.cnt) g(j);
        SELECT array_agg(s.start ORDER BY s.i) INTO v_start
          FROM (SELECT c.i, (sum(c.cnt) OVER (ORDER BY c.i) - c.cnt + 1)::int AS start FROM unnest(p_counts) WITH ORDINALITY c(cnt, i)) s;
        SELECT array_agg(e.id ORDER BY r.i), array_agg(r.first::int ORDER BY r.i) INTO v_existing, v_first
          FROM (SELECT x.ref, x.i, min(x.i) OVER (PARTITION BY x.ref) AS first FROM unnest(p_references) WITH ORDINALITY x(ref, i)) r
          LEFT JOIN journal_entries e ON e.reference = r.ref;

        -- a reference already posted must mean the same postings (as in ledger_post())
        IF EXISTS (SELECT 1 FROM unnest(v_existing) x WHERE x IS NOT NULL) THEN
          IF EXISTS (
            WITH dup AS (SELECT d.i::int AS i, d.id FROM unnest(v_existing) WITH ORDINALITY d(id, i) WHERE d.id IS NOT NULL),
            given AS (SELECT x.ei AS i, x.acc, x.amt FROM unnest(v_entry, p_accounts, p_amounts) x(ei, acc, amt) WHERE x.ei IN (SELECT dup.i FROM dup)),
            stored AS (SELECT dup.i, p.account_id AS acc, p.amount AS amt FROM dup JOIN postings p ON p.entry_id = dup.id)
            (SELECT * FROM given EXCEPT ALL SELECT * FROM stored) UNION ALL (SELECT * FROM stored EXCEPT ALL SELECT * FROM given)
          ) THEN
            RAISE EXCEPTION 'a reference of the batch was already posted with other postings' USING ERRCODE = 'LD409';
          END IF;
        END IF;

        -- the accounts, their kind and currency
        SELECT array_agg(a.id ORDER BY a.id), array_agg(a.hot ORDER BY a.id), array_agg(a.allow_negative ORDER BY a.id), array_agg(a.currency::text ORDER BY a.id)
          INTO v_ids, v_hot, v_neg, v_cur
          FROM ledger_accounts a WHERE a.id IN (SELECT unnest(p_accounts));
        SELECT array_agg(d.k::int ORDER BY x.o) INTO v_k
          FROM unnest(p_accounts) WITH ORDINALITY x(acc, o) JOIN unnest(v_ids) WITH ORDINALITY d(acc, k) ON d.acc = x.acc;
        IF coalesce(array_length(v_k, 1), 0) <> np THEN
          SELECT x.acc INTO v_missing FROM unnest(p_accounts) x(acc) WHERE x.acc IS NULL OR NOT x.acc = ANY (coalesce(v_ids, '{}')) LIMIT 1;
          RAISE EXCEPTION 'no ledger account %', v_missing;
        END IF;
        SELECT array_agg(h.id) INTO v_hot_ids FROM unnest(v_ids, v_hot) h(id, hot) WHERE h.hot;
        FOR j IN 1 .. np LOOP
          IF v_cur[v_k[j]] IS DISTINCT FROM p_currencies[j] THEN
            RAISE EXCEPTION 'account % holds %, not %', p_accounts[j], v_cur[v_k[j]], p_currencies[j];
          END IF;
        END LOOP;

        -- lock, in id order, what the batch's new entries update: accounts that are not hot, hot accounts debited
        SELECT array_agg(DISTINCT x.acc ORDER BY x.acc), array_agg(DISTINCT x.acc) FILTER (WHERE v_hot[x.k])
          INTO v_lock, v_hot_debited
          FROM unnest(p_accounts, p_amounts, v_k, v_entry) x(acc, amt, k, ei)
         WHERE v_existing[x.ei] IS NULL AND (NOT v_hot[x.k] OR x.amt < 0);
        IF v_lock IS NOT NULL THEN
          PERFORM 1 FROM ledger_accounts a WHERE a.id = ANY (v_lock) ORDER BY a.id FOR NO KEY UPDATE;
        END IF;
        -- a new statement after the locks: sees a roll-up that committed meanwhile as a whole
        SELECT array_agg(a.balance + CASE WHEN a.id = ANY (v_hot_debited) THEN COALESCE((SELECT sum(h.amount) FROM hot_account_credits h WHERE h.account_id = a.id), 0) ELSE 0 END ORDER BY a.id),
               array_agg(CASE WHEN a.hot OR NOT v_use_floor THEN 0 ELSE -a.floor END ORDER BY a.id)
          INTO v_bal, v_limit
          FROM ledger_accounts a WHERE a.id = ANY (v_ids);

        -- decisions, in the order given, against the running balances
        v_state := array_fill('R'::"char", ARRAY[n]);
        v_posted := array_fill(NULL::int, ARRAY[n]);
        v_after := array_fill(NULL::bigint, ARRAY[np]);
        FOR i IN 1 .. n LOOP
          v_from := v_start[i];
          v_to := v_from + p_counts[i] - 1;
          IF v_existing[i] IS NOT NULL THEN
            v_state[i] := 'D';
            CONTINUE;
          END IF;
          IF v_first[i] < i THEN
            IF p_accounts[v_from:v_to] IS DISTINCT FROM p_accounts[v_start[v_first[i]]:v_start[v_first[i]] + p_counts[v_first[i]] - 1]
               OR p_amounts[v_from:v_to] IS DISTINCT FROM p_amounts[v_start[v_first[i]]:v_start[v_first[i]] + p_counts[v_first[i]] - 1] THEN
              RAISE EXCEPTION 'reference % was already posted with other postings', p_references[i] USING ERRCODE = 'LD409';
            END IF;
            IF v_posted[v_first[i]] IS NOT NULL THEN
              v_state[i] := 'D';
              CONTINUE;
            END IF;
          END IF;
          v_ok := true;
          FOR j IN v_from .. v_to LOOP
            v_k1 := v_k[j];
            IF p_amounts[j] < 0 AND NOT v_neg[v_k1] AND v_bal[v_k1] + p_amounts[j] < v_limit[v_k1] THEN
              v_ok := false;
              -- undo this entry's postings applied so far
              FOR jj IN v_from .. j - 1 LOOP
                v_bal[v_k[jj]] := v_bal[v_k[jj]] - p_amounts[jj];
              END LOOP;
              EXIT;
            END IF;
            v_bal[v_k1] := v_bal[v_k1] + p_amounts[j];
            v_after[j] := CASE WHEN v_hot[v_k1] AND p_amounts[j] > 0 THEN NULL ELSE v_bal[v_k1] END;
          END LOOP;
          IF v_ok THEN
            v_state[i] := 'P';
            v_posted[v_first[i]] := i;
            v_count := v_count + 1;
          END IF;
        END LOOP;

        IF v_count > 0 THEN
          WITH ins AS (
            INSERT INTO journal_entries (reference, kind, description, metadata)
            SELECT x.ref, x.kind, x.descr, COALESCE(x.meta, '{}'::jsonb)
              FROM unnest(p_references, p_kinds, p_descriptions, p_metadata) WITH ORDINALITY x(ref, kind, descr, meta, i)
             WHERE v_state[x.i] = 'P' ORDER BY x.i
            ON CONFLICT (reference) DO NOTHING
            RETURNING id, reference)
          SELECT count(ins.id)::int, array_agg(ins.id ORDER BY r.i) INTO v_inserted, v_eid
            FROM unnest(p_references) WITH ORDINALITY r(ref, i) LEFT JOIN ins ON ins.reference = r.ref AND v_state[r.i] = 'P';
          IF v_inserted <> v_count THEN
            RAISE EXCEPTION 'a reference of the batch was posted meanwhile by another transaction' USING ERRCODE = 'serialization_failure';
          END IF;

          WITH p AS (
            INSERT INTO postings (entry_id, account_id, currency, amount, balance_after)
            SELECT v_eid[x.ei], x.acc, x.cur, x.amt, x.after
              FROM unnest(p_accounts, p_currencies, p_amounts, v_after, v_entry) WITH ORDINALITY x(acc, cur, amt, after, ei, j)
             WHERE v_state[x.ei] = 'P' ORDER BY x.j
            RETURNING id, account_id, amount)
          INSERT INTO hot_account_credits (account_id, posting_id, amount)
          SELECT p.account_id, p.id, p.amount FROM p
           WHERE p.amount > 0 AND p.account_id = ANY (v_hot_ids)
           ORDER BY p.id;

          UPDATE ledger_accounts a SET balance = a.balance + d.delta
            FROM (SELECT x.acc, sum(x.amt) AS delta
                    FROM unnest(p_accounts, p_amounts, v_k, v_entry) x(acc, amt, k, ei)
                   WHERE v_state[x.ei] = 'P' AND NOT (v_hot[x.k] AND x.amt > 0)
                   GROUP BY x.acc) d
           WHERE a.id = d.acc;
        END IF;

        RETURN QUERY
          SELECT i::int,
                 CASE v_state[i] WHEN 'P' THEN v_eid[i] WHEN 'D' THEN COALESCE(v_existing[i], v_eid[v_posted[v_first[i]]]) END,
                 v_state[i] = 'D',
                 CASE WHEN v_state[i] = 'R' THEN 'INSUFFICIENT_FUNDS' END
            FROM generate_series(1, n) i;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    // back to the per-entry function of the first ledger_post_many migration
    const previous = new LedgerPostMany1764600000200();
    await previous.down(q);
    await previous.up(q);
  }
}
