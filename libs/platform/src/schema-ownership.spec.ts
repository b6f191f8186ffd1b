import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * architecture.md, "Each context owns its data": no lib's SQL names a table
 * of another context's schema (qualified or not); it asks that lib's exported
 * service instead. Migrations are exempt (the one-off data moves between
 * contexts). A lib's schema is the `static readonly schema` of its module;
 * its tables are those its migrations create.
 */
const ROOT = join(import.meta.dirname, '..', '..', '..');
const LIBS = join(ROOT, 'libs');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** String and template literals: where the SQL is. */
function literals(source: string): string[] {
  return [...source.matchAll(/`(?:[^`\\]|\\.)*`|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g)].map((m) => m[0]);
}

const TABLE_REF = /\b(?:FROM|JOIN|INTO|UPDATE|TABLE|TRUNCATE|EXISTS|REFERENCES)\s+(?:ONLY\s+)?(?:([a-z_][a-z0-9_]*)\.)?([a-z_][a-z0-9_]*)\b(?!\s*\()/g;

interface Lib {
  name: string;
  schema?: string;
  sources: string[];
  migrations: string[];
}

function loadLibs(): Lib[] {
  return readdirSync(LIBS).map((name) => {
    const all = files(join(LIBS, name, 'src'));
    const module = all.filter((f) => f.endsWith('.module.ts')).map((f) => readFileSync(f, 'utf8')).join('\n');
    const isMigration = (f: string) => f.includes('/migrations/') || /migration\.ts$/.test(f);
    return {
      name,
      schema: /static readonly schema = '([a-z_]+)'/.exec(module)?.[1],
      sources: all.filter((f) => !isMigration(f) && !f.endsWith('schema-ownership.spec.ts')),
      migrations: all.filter(isMigration),
    };
  });
}

/** Every crossing in the libs' SQL: `file: SQL names schema.table of lib X`. */
export function schemaCrossings(libs: Lib[], read: (file: string) => string = (f) => readFileSync(f, 'utf8')): string[] {
  const schemaOwner = new Map(libs.filter((l) => l.schema).map((l) => [l.schema!, l.name]));
  const tableOwner = new Map<string, string>();
  for (const lib of libs) {
    for (const f of lib.migrations) {
      for (const m of read(f).matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(?:[a-z_]+\.)?([a-z_][a-z0-9_]*)/g)) tableOwner.set(m[1], lib.name);
    }
  }
  const out: string[] = [];
  for (const lib of libs) {
    for (const f of lib.sources) {
      for (const literal of literals(read(f))) {
        for (const [, schema, table] of literal.matchAll(TABLE_REF)) {
          const owner = schema ? schemaOwner.get(schema) : tableOwner.get(table);
          if (owner && owner !== lib.name) out.push(`${relative(ROOT, f)}: SQL names ${schema ? `${schema}.` : ''}${table} of lib ${owner}`);
        }
      }
    }
  }
  return out;
}

describe('each context owns its data', () => {
  const libs = loadLibs();

  it('knows every context schema and table (the check below checks something)', () => {
    const schemas = libs.map((l) => l.schema).filter(Boolean);
    expect(schemas).toEqual(expect.arrayContaining(['identity', 'ledger', 'payments', 'billing', 'sandbox', 'campus', 'common', 'notifications']));
  });

  it("finds a lib's SQL naming another context's table, qualified or not", () => {
    const billing = libs.find((l) => l.name === 'billing')!;
    const fake = join(LIBS, 'billing', 'src', 'fake.ts');
    const probe = { ...billing, sources: [fake] };
    const read = (src: string) => (f: string) => (f === fake ? src : readFileSync(f, 'utf8'));
    const others = libs.filter((l) => l.name !== 'billing').map((l) => ({ ...l, sources: [] }));
    expect(schemaCrossings([...others, probe], read('q(`SELECT * FROM ledger.journal_entries WHERE id = $1`)'))).toEqual([
      'libs/billing/src/fake.ts: SQL names ledger.journal_entries of lib ledger',
    ]);
    expect(schemaCrossings([...others, probe], read("q('SELECT o.name FROM billing.bills b JOIN organizations o ON o.id = b.biller_id')"))).toEqual([
      'libs/billing/src/fake.ts: SQL names organizations of lib identity',
    ]);
    expect(schemaCrossings([...others, probe], read('q(`SELECT * FROM billing.bills`); this.ledger.post(x)'))).toEqual([]);
  });

  it("no lib's SQL names a table of another context", () => {
    expect(schemaCrossings(libs)).toEqual([]);
  });
});
