import { randomBytes } from 'node:crypto';
import { Transform } from 'class-transformer';
// eslint-disable-next-line no-restricted-imports -- settings come from the environment: a string or absent, never null
import { IsOptional, Matches } from 'class-validator';
import { type AppConfig, emptyToUndefined } from '@app/config';

/** Settings of the pay-code signing keys. */
export class PaycodeKeysConfig {
  /** AES-256-GCM key for the pay-code signing keys at rest: 32 bytes, base64. Generated and kept in DATA_DIR outside production. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'PAYCODE_KEY_ENCRYPTION_KEY must be 32 bytes in base64 (44 characters)' })
  PAYCODE_KEY_ENCRYPTION_KEY?: string;

  /** Keys a production deployment must set; elsewhere they are generated once and kept in DATA_DIR. */
  static readonly generatedSecrets = {
    PAYCODE_KEY_ENCRYPTION_KEY: () => randomBytes(32).toString('base64'),
  };

  static check(c: PaycodeKeysConfig, core: AppConfig): { variable: string; problem: string }[] {
    return core.NODE_ENV === 'production' && !c.PAYCODE_KEY_ENCRYPTION_KEY
      ? [{ variable: 'PAYCODE_KEY_ENCRYPTION_KEY', problem: 'PAYCODE_KEY_ENCRYPTION_KEY must be set in production' }]
      : [];
  }
}
