import type { QueryRunner } from 'typeorm';

/** The function the migrations that edit billing.pay_from_wallet() in place rewrite. */
export const PAY_FROM_WALLET = 'billing.pay_from_wallet(uuid, uuid, uuid, bigint, uuid, boolean, text, text, uuid, integer)';

/** A function's current definition (CREATE OR REPLACE ...), as PostgreSQL holds it. */
export async function functionDefinition(q: QueryRunner, signature: string): Promise<string> {
  const [{ def }] = (await q.query(`SELECT pg_get_functiondef($1::regprocedure) AS def`, [signature])) as { def: string }[];
  return def;
}

/** billing.pay_from_wallet()'s current definition (CREATE OR REPLACE ...), as PostgreSQL holds it. */
export function payFromWalletDefinition(q: QueryRunner): Promise<string> {
  return functionDefinition(q, PAY_FROM_WALLET);
}

/** The definition with each [from, to] replaced once; refuses a definition that is not as the earlier migrations left it. */
export function rewriteDefinition(name: string, def: string, ...edits: [string, string][]): string {
  let out = def;
  for (const [from, to] of edits) {
    if (!out.includes(from)) throw new Error(`${name} is not as the earlier migrations left it (missing: ${from.trim().split('\n')[0]})`);
    out = out.replace(from, to);
  }
  return out;
}

export const rewritePayFromWallet = (def: string, ...edits: [string, string][]): string => rewriteDefinition('billing.pay_from_wallet()', def, ...edits);
