import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig, configFieldNames } from '@app/config';
import { CONFIG_SECTIONS, validatePlatformConfig } from '@app/platform';
import { buildOnce } from '../support/process.js';

/**
 * Every settings field is read, under Jest (swc, whose class fields without
 * a default are no own properties) and in the build (tsc) alike: the fields
 * read are the ones each class declares in its source.
 */
const SECTIONS = [AppConfig, ...CONFIG_SECTIONS] as (new () => object)[];

function sourceOf(name: string): string {
  const candidates = [join('config', 'app-config.ts'), ...readdirSync('libs').flatMap((lib) => readdirSync(join('libs', lib, 'src')).filter((f) => f.endsWith('.config.ts')).map((f) => join('libs', lib, 'src', f)))];
  const file = candidates.find((f) => readFileSync(f, 'utf8').includes(`export class ${name} `));
  if (!file) throw new Error(`no source declares ${name}`);
  return readFileSync(file, 'utf8');
}

/** The fields a settings class declares: upper-case members of its body. */
function declaredFields(name: string): string[] {
  const source = sourceOf(name);
  const body = source.slice(source.indexOf(`export class ${name} `));
  const end = body.indexOf('\n}\n');
  return [...body.slice(0, end).matchAll(/^ {2}([A-Z][A-Z0-9_]*)\??\s*[:=]/gm)].map((m) => m[1]).sort();
}

describe('configuration fields', () => {
  it('reads every declared field under Jest', () => {
    for (const section of SECTIONS) {
      expect([section.name, configFieldNames(section).sort()]).toEqual([section.name, declaredFields(section.name)]);
    }
    // an optional variable without a default (the case swc and tsc compile differently) arrives
    const c = validatePlatformConfig({ PAYMENT_CREDENTIALS_FILE: '/etc/p.json', PUBLIC_BASE_URL: 'https://pay.example.cn', DATABASE_URL: 'postgres://x/y' });
    expect([c.PAYMENT_CREDENTIALS_FILE, c.PUBLIC_BASE_URL, c.DATABASE_URL]).toEqual(['/etc/p.json', 'https://pay.example.cn', 'postgres://x/y']);
  });

  it('reads every declared field in the build', () => {
    buildOnce();
    const script = `
      const { AppConfig, configFieldNames } = await import('./dist/config/index.js');
      const { CONFIG_SECTIONS, validatePlatformConfig } = await import('./dist/libs/platform/src/index.js');
      const c = validatePlatformConfig({ PAYMENT_CREDENTIALS_FILE: '/etc/p.json', PUBLIC_BASE_URL: 'https://pay.example.cn', DATABASE_URL: 'postgres://x/y' });
      console.log(JSON.stringify({
        sections: [AppConfig, ...CONFIG_SECTIONS].map((s) => [s.name, configFieldNames(s).sort()]),
        values: [c.PAYMENT_CREDENTIALS_FILE, c.PUBLIC_BASE_URL, c.DATABASE_URL],
      }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    const built = JSON.parse(out.trim().split('\n').pop()!) as { sections: [string, string[]][]; values: string[] };
    expect(built.sections).toEqual(SECTIONS.map((s) => [s.name, declaredFields(s.name)]));
    expect(built.values).toEqual(['/etc/p.json', 'https://pay.example.cn', 'postgres://x/y']);
  }, 180_000);
});
