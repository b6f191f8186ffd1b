import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig, GENERATED_SECRETS, type GeneratedSecret, validateConfig } from './app-config.js';

/**
 * The one place that reads `process.env`. A `.env` file in the working
 * directory is loaded first (real environment variables win). Outside
 * production, secrets left unset are generated once and kept in
 * `DATA_DIR/secrets.json` (mode 600), so a plain `npm start` works and keeps
 * its sessions and device keys across restarts.
 */
export function loadConfigFromEnvironment(overrides: Record<string, string | undefined> = {}): AppConfig {
  if (existsSync('.env')) {
    process.loadEnvFile('.env');
  }
  const config = validateConfig({ ...process.env, ...overrides });
  return withGeneratedSecrets(config);
}

export function withGeneratedSecrets(config: AppConfig): AppConfig {
  const missing = GENERATED_SECRETS.filter((name) => !config[name]);
  if (missing.length === 0) return config;
  const file = join(config.DATA_DIR, 'secrets.json');
  const kept: Partial<Record<GeneratedSecret, string>> = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<GeneratedSecret, string>>)
    : {};
  let changed = false;
  for (const name of missing) {
    if (!kept[name]) {
      kept[name] = name === 'JWT_SECRET' ? randomBytes(48).toString('base64url') : randomBytes(32).toString('base64');
      changed = true;
    }
    config[name] = kept[name];
  }
  if (changed) {
    mkdirSync(config.DATA_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(kept, null, 2) + '\n', { mode: 0o600 });
  }
  return config;
}
