import type { QueryRunner } from 'typeorm';

/**
 * For migrations that edit a PL/pgSQL function in place: its current
 * definition (CREATE OR REPLACE ...), as PostgreSQL holds it.
 */
export async function functionDefinition(q: QueryRunner, signature: string): Promise<string> {
  const [{ def }] = (await q.query(`SELECT pg_get_functiondef($1::regprocedure) AS def`, [signature])) as { def: string }[];
  return def;
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
