// The configuration the benchmarks start the platform with: the whole
// platform's settings (every context's section), fresh secrets, quiet logs,
// no per-IP rate limit (one load generator is every client).
import { randomBytes } from 'node:crypto';
import { validatePlatformConfig } from '../../dist/libs/platform/src/index.js';

export function benchConfig(vars) {
  return validatePlatformConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    DEVICE_SECRET_KEY: randomBytes(32).toString('base64'),
    ID_NUMBER_HASH_KEY: randomBytes(32).toString('base64'),
    PAYCODE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
    ...vars,
  });
}
