import { existsSync } from 'node:fs';
import { AppConfig, validateConfig } from './app-config.js';

/**
 * The one place that reads `process.env`. A `.env` file in the working
 * directory is loaded first (real environment variables win).
 */
export function loadConfigFromEnvironment(overrides: Record<string, string | undefined> = {}): AppConfig {
  if (existsSync('.env')) {
    process.loadEnvFile('.env');
  }
  return validateConfig({ ...process.env, ...overrides });
}
