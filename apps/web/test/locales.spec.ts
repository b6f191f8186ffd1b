import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

/** zh-CN is the first language; English must say the same things: same namespaces, same keys, same placeholders. */
const LOCALES = join(import.meta.dirname, '..', 'src', 'locales');
const LANGS = ['zh-CN', 'en'];

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of flatten(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

const load = (lang: string) =>
  new Map(readdirSync(join(LOCALES, lang)).filter((f) => f.endsWith('.json')).map((f) => [f.replace(/\.json$/, ''), flatten(JSON.parse(readFileSync(join(LOCALES, lang, f), 'utf8')) as Tree)]));

const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe('web app translations', () => {
  const [zh, en] = LANGS.map(load);

  it('has the same namespaces in both languages, all of them registered', () => {
    expect([...en.keys()].sort()).toEqual([...zh.keys()].sort());
    const registered = readFileSync(join(LOCALES, '..', 'i18n', 'resources.ts'), 'utf8');
    for (const ns of zh.keys()) expect([ns, registered.includes(`'${ns}'`)]).toEqual([ns, true]);
    // the places other areas fill in exist already
    expect([...zh.keys()]).toEqual(expect.arrayContaining(['transit', 'campus', 'notifications']));
  });

  it('has exactly the same keys in both languages', () => {
    for (const [ns, keys] of zh) {
      expect([ns, [...en.get(ns)!.keys()].sort()]).toEqual([ns, [...keys.keys()].sort()]);
    }
  });

  it('uses the same placeholders and leaves nothing empty', () => {
    for (const [ns, keys] of zh) {
      for (const [key, text] of keys) {
        const other = en.get(ns)!.get(key)!;
        expect([`${ns}:${key}`, placeholders(other)]).toEqual([`${ns}:${key}`, placeholders(text)]);
        expect([`${ns}:${key}`, text.trim() !== '' && other.trim() !== '']).toEqual([`${ns}:${key}`, true]);
      }
    }
  });

  it('covers the literal keys the pages ask for', () => {
    // t('ns:key') and t('key') calls with a literal key, checked against the namespaces their component loads
    const missing: string[] = [];
    let checked = 0;
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
    for (const file of walk(join(LOCALES, '..'))) {
      const src = readFileSync(file, 'utf8');
      const nsMatch = /useTranslation\((?:\[)?'([\w-]+)'/.exec(src);
      const defaultNs = nsMatch?.[1] ?? 'common';
      for (const m of src.matchAll(/\bt\('([\w.:-]+)'/g)) {
        const [ns, key] = m[1].includes(':') ? m[1].split(':') : [defaultNs, m[1]];
        checked++;
        if (!zh.get(ns)?.has(key)) missing.push(`${file.split('/src/')[1]}: ${ns}:${key}`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(150);
  });
});
