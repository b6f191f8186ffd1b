import type { QueryRunner } from 'typeorm';

export interface SchemaObjects {
  tables?: readonly string[];
  sequences?: readonly string[];
  /** Functions with their argument types, e.g. `ledger_post(text, uuid[])`. */
  functions?: readonly string[];
  /** Functions whose bodies name the moved tables unqualified: they resolve them in their own schema. */
  pinSearchPath?: readonly string[];
}

/**
 * Moves a context's objects from `public` into its own schema, data, indexes,
 * constraints, triggers and owned sequences included (ALTER ... SET SCHEMA
 * moves them as they are; foreign keys keep pointing at the same rows).
 * For the one-off migrations that gave each context its schema.
 */
export async function moveToSchema(q: QueryRunner, schema: string, objects: SchemaObjects): Promise<void> {
  await q.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  for (const t of objects.tables ?? []) await q.query(`ALTER TABLE public.${t} SET SCHEMA ${schema}`);
  for (const s of objects.sequences ?? []) await q.query(`ALTER SEQUENCE public.${s} SET SCHEMA ${schema}`);
  for (const f of objects.functions ?? []) await q.query(`ALTER FUNCTION public.${f} SET SCHEMA ${schema}`);
  for (const f of objects.pinSearchPath ?? []) await q.query(`ALTER FUNCTION ${schema}.${f} SET search_path = ${schema}, public`);
}

/** The way back, for `down()`. */
export async function moveToPublic(q: QueryRunner, schema: string, objects: SchemaObjects): Promise<void> {
  for (const f of objects.pinSearchPath ?? []) await q.query(`ALTER FUNCTION ${schema}.${f} RESET search_path`);
  for (const f of objects.functions ?? []) await q.query(`ALTER FUNCTION ${schema}.${f} SET SCHEMA public`);
  for (const s of objects.sequences ?? []) await q.query(`ALTER SEQUENCE ${schema}.${s} SET SCHEMA public`);
  for (const t of objects.tables ?? []) await q.query(`ALTER TABLE ${schema}.${t} SET SCHEMA public`);
}
