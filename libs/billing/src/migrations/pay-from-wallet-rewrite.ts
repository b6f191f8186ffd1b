import type { QueryRunner } from 'typeorm';

/** The function the migrations that edit billing.pay_from_wallet() in place rewrite. */
export const PAY_FROM_WALLET = 'billing.pay_from_wallet(uuid, uuid, uuid, bigint, uuid, boolean, text, text, uuid, integer)';

/** billing.pay_from_wallet()'s current definition (CREATE OR REPLACE ...), as PostgreSQL holds it. */
export async function payFromWalletDefinition(q: QueryRunner): Promise<string> {
  const [{ def }] = (await q.query(`SELECT pg_get_functiondef($1::regprocedure) AS def`, [PAY_FROM_WALLET])) as { def: string }[];
  return def;
}

/** The definition with each [from, to] replaced once; refuses a definition that is not as the earlier migrations left it. */
export function rewritePayFromWallet(def: string, ...edits: [string, string][]): string {
  let out = def;
  for (const [from, to] of edits) {
    if (!out.includes(from)) throw new Error(`billing.pay_from_wallet() is not as the earlier migrations left it (missing: ${from.trim().split('\n')[0]})`);
    out = out.replace(from, to);
  }
  return out;
}
