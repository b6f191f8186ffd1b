import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig, type ConfigSection, configSections, validateConfig } from './app-config.js';

/**
 * The one place that reads `process.env`, for the process settings and the
 * given sections (the platform passes every context's). A `.env` file in the
 * working directory is loaded first (real environment variables win).
 * Outside production, secrets left unset are generated once and kept in
 * `DATA_DIR/secrets.json` (mode 600), so a plain `npm start` works and keeps
 * its sessions and device keys across restarts.
 */
export function loadConfigFromEnvironment<S extends object = object>(
  sections: readonly ConfigSection[] = [],
  overrides: Record<string, string | undefined> = {},
): AppConfig & S {
  if (existsSync('.env')) {
    process.loadEnvFile('.env');
  }
  const config = validateConfig<S>({ ...process.env, ...overrides }, sections);
  return withGeneratedSecrets(config);
}

/** Fills the sections' generated secrets left unset (see ConfigSection.generatedSecrets). */
export function withGeneratedSecrets<C extends AppConfig>(config: C): C {
  const missing: { name: string; generate: () => string; section: Record<string, unknown> }[] = [];
  for (const [cls, section] of configSections(config)) {
    for (const [name, generate] of Object.entries(cls.generatedSecrets ?? {})) {
      if (!(section as Record<string, unknown>)[name]) missing.push({ name, generate, section: section as Record<string, unknown> });
    }
  }
  if (missing.length === 0) return config;
  const file = join(config.DATA_DIR, 'secrets.json');
  const kept: Record<string, string> = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  let changed = false;
  for (const { name, generate, section } of missing) {
    if (!kept[name]) {
      kept[name] = generate();
      changed = true;
    }
    section[name] = kept[name];
    (config as unknown as Record<string, unknown>)[name] = kept[name];
  }
  if (changed) {
    mkdirSync(config.DATA_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(kept, null, 2) + '\n', { mode: 0o600 });
  }
  return config;
}
