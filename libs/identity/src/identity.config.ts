import { randomBytes } from 'node:crypto';
import { Transform } from 'class-transformer';
// eslint-disable-next-line no-restricted-imports -- settings come from the environment: a string or absent, never null
import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { type AppConfig, emptyToUndefined, toInt } from '@app/config';

/** Identity's settings: the administrator, tokens, device and ID-number keys, login throttle. */
export class IdentityConfig {
  /** Phone (E.164) and password of the platform administrator created at start if absent. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^\+[1-9]\d{6,14}$/, { message: 'ADMIN_PHONE must be an E.164 phone number such as +8613800000000' })
  ADMIN_PHONE?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(12, { message: 'ADMIN_PASSWORD must be at least 12 characters' })
  ADMIN_PASSWORD?: string;

  /** HMAC key of access tokens (HS256), at least 32 characters. Generated and kept in DATA_DIR outside production. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @IsString()
  @MinLength(1)
  JWT_ISSUER = 'city-pay';

  @IsString()
  @MinLength(1)
  JWT_AUDIENCE = 'city-pay-api';

  @Transform(toInt)
  @IsInt()
  @Min(30)
  @Max(86400)
  ACCESS_TOKEN_TTL_SECONDS = 900;

  @Transform(toInt)
  @IsInt()
  @Min(300)
  @Max(365 * 86400)
  REFRESH_TOKEN_TTL_SECONDS = 30 * 86400;

  /** AES-256-GCM key for device secrets at rest: 32 bytes, base64. Generated and kept in DATA_DIR outside production. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'DEVICE_SECRET_KEY must be 32 bytes in base64 (44 characters)' })
  DEVICE_SECRET_KEY?: string;

  /** HMAC key for the uniqueness hash of ID numbers: 32 bytes, base64. Generated and kept in DATA_DIR outside production. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'ID_NUMBER_HASH_KEY must be 32 bytes in base64 (44 characters)' })
  ID_NUMBER_HASH_KEY?: string;

  /** Allowed clock skew of signed device requests, ms (api.md: 5 minutes). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3600000)
  DEVICE_CLOCK_SKEW_MS = 300000;

  /** Failed logins allowed per phone per minute; the next is answered 429. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  LOGIN_FAILURES_PER_MINUTE = 5;

  /** Keys a production deployment must set; elsewhere they are generated once and kept in DATA_DIR. */
  static readonly generatedSecrets = {
    JWT_SECRET: () => randomBytes(48).toString('base64url'),
    DEVICE_SECRET_KEY: () => randomBytes(32).toString('base64'),
    ID_NUMBER_HASH_KEY: () => randomBytes(32).toString('base64'),
  };

  static check(c: IdentityConfig, core: AppConfig): { variable: string; problem: string }[] {
    const problems: { variable: string; problem: string }[] = [];
    if (core.NODE_ENV === 'production') {
      for (const name of Object.keys(IdentityConfig.generatedSecrets) as (keyof typeof IdentityConfig.generatedSecrets)[]) {
        if (!c[name]) problems.push({ variable: name, problem: `${name} must be set in production` });
      }
    }
    if ((c.ADMIN_PHONE === undefined) !== (c.ADMIN_PASSWORD === undefined)) {
      problems.push({ variable: c.ADMIN_PHONE === undefined ? 'ADMIN_PHONE' : 'ADMIN_PASSWORD', problem: 'ADMIN_PHONE and ADMIN_PASSWORD go together' });
    }
    return problems;
  }
}
