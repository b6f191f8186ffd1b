import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { AppConfig, ConfigError, configDefaults, validateConfig } from './app-config.js';

describe('validateConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = validateConfig({});
    expect(c).toBeInstanceOf(AppConfig);
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.DATA_DIR).toBe('./.data');
    expect(c.MIGRATIONS_RUN).toBe(true);
    expect(c.BODY_LIMIT_BYTES).toBe(1024 * 1024);
  });

  it('converts numbers and booleans from their string form', () => {
    const c = validateConfig({ PORT: '8080', MIGRATIONS_RUN: 'false', JOBS_IN_API: '0', DB_POOL_SIZE: '7' });
    expect(c.PORT).toBe(8080);
    expect(c.MIGRATIONS_RUN).toBe(false);
    expect(c.JOBS_IN_API).toBe(false);
    expect(c.DB_POOL_SIZE).toBe(7);
  });

  it('treats an empty DATABASE_URL as unset (embedded database)', () => {
    expect(validateConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '3000.5'],
    ['MIGRATIONS_RUN', 'maybe'],
    ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['BODY_LIMIT_BYTES', '10'],
    ['EMBEDDED_PG_DATABASE', 'Bad-Name'],
    ['DB_POOL_SIZE', '1'],
    ['NODE_ENV', 'staging'],
    ['PAYMENT_PROVIDERS', 'real'],
    ['PAYMENT_QUERY_INTERVAL_MS', '10'],
    ['FX_RATES', 'CNY/HKD=1,08'],
    ['FX_RATES_AS_OF', 'yesterday'],
    ['PUBLIC_BASE_URL', 'https://pay.example.cn/path'],
  ])('names %s when its value %p is bad', (name, value) => {
    let error: unknown;
    try {
      validateConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual([name]);
    expect((error as Error).message).toContain(`${name}:`);
  });

  it('wants PAYMENT_CREDENTIALS_FILE with PAYMENT_PROVIDERS=live', () => {
    expect(() => validateConfig({ PAYMENT_PROVIDERS: 'live' })).toThrow(/PAYMENT_CREDENTIALS_FILE/);
    expect(validateConfig({ PAYMENT_PROVIDERS: 'live', PAYMENT_CREDENTIALS_FILE: '/etc/city-pay/providers.json' }).PAYMENT_PROVIDERS).toBe('live');
  });

  it('never serves the sandbox in production, and wants the public URL the providers notify', () => {
    const secrets = { JWT_SECRET: 'x'.repeat(40), DEVICE_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'), ID_NUMBER_HASH_KEY: Buffer.alloc(32, 2).toString('base64'), PAYCODE_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64') };
    expect(() => validateConfig({ NODE_ENV: 'production', ...secrets, PUBLIC_BASE_URL: 'https://pay.example.cn' })).toThrow(/PAYMENT_PROVIDERS must be live/);
    const live = { NODE_ENV: 'production', ...secrets, PAYMENT_PROVIDERS: 'live', PAYMENT_CREDENTIALS_FILE: '/etc/p.json' };
    expect(() => validateConfig(live)).toThrow(/PUBLIC_BASE_URL must be set/);
    expect(validateConfig({ ...live, PUBLIC_BASE_URL: 'https://pay.example.cn' }).PAYMENT_PROVIDERS).toBe('live');
  });

  it('ignores variables it does not know', () => {
    expect(() => validateConfig({ HOME: '/root', SOMETHING_ELSE: 'x' })).not.toThrow();
  });

  it('is documented: .env.example lists every variable with its default', () => {
    const example = readFileSync('.env.example', 'utf8');
    for (const [name, value] of Object.entries(configDefaults())) {
      const line = example.split('\n').find((l) => l.replace(/^#\s*/, '').startsWith(`${name}=`));
      expect(line).toBeDefined();
      if (value !== undefined) expect(line!.replace(/^#\s*/, '')).toBe(`${name}=${String(value)}`);
    }
    expect(example).toMatch(/^#?\s*DATABASE_URL=/m);
  });
});
