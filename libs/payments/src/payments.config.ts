import { Transform } from 'class-transformer';
// eslint-disable-next-line no-restricted-imports -- settings come from the environment: a string or absent, never null
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { type AppConfig, emptyToUndefined, toInt } from '@app/config';

/** Payments' settings: which gateways, their credentials, the notify address, order timing, FX, reconciliation. */
export class PaymentsConfig {
  /**
   * `sandbox`: the provider gateways of libs/provider-sandbox are served under
   * /sandbox with keys generated on first start; `live`: the real gateways,
   * with the credentials of PAYMENT_CREDENTIALS_FILE.
   */
  @IsIn(['sandbox', 'live'])
  PAYMENT_PROVIDERS: 'sandbox' | 'live' = 'sandbox';

  /** JSON file of each provider's merchant credentials (required when PAYMENT_PROVIDERS=live). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PAYMENT_CREDENTIALS_FILE?: string;

  /** Base URL the providers reach the platform at (notify URLs). Unset: this server's own address. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^/\s]+$/, { message: 'PUBLIC_BASE_URL must be an http(s) origin without a path, e.g. https://pay.example.cn' })
  PUBLIC_BASE_URL?: string;

  /** A pending payment order without a notification is queried this often, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(200)
  @Max(3600000)
  PAYMENT_QUERY_INTERVAL_MS = 5000;

  /** An unpaid payment order expires (and is closed at the provider) after this long, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(86400000)
  PAYMENT_ORDER_TTL_MS = 900000;

  /** Exchange rates, `FROM/TO=rate` pairs separated by commas (the shopper pays TO for one FROM). */
  @Matches(/^([A-Z]{3}\/[A-Z]{3}=\d{1,6}(\.\d{1,8})?)(,[A-Z]{3}\/[A-Z]{3}=\d{1,6}(\.\d{1,8})?)*$/, {
    message: 'FX_RATES must look like CNY/HKD=1.0870,MOP/HKD=0.9709',
  })
  FX_RATES = 'CNY/HKD=1.0870,MOP/HKD=0.9709';

  /** Where FX_RATES come from, recorded on every converted order. */
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  FX_RATES_SOURCE = 'config: indicative rates, not a market feed';

  /** When FX_RATES were taken (ISO 8601), recorded on every converted order. */
  @Matches(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/, { message: 'FX_RATES_AS_OF must be an ISO 8601 time' })
  FX_RATES_AS_OF = '2026-11-20T08:00:00Z';

  /** Daily reconciliation with the providers' settlement files (UTC cron; 18:30 UTC is 02:30 in Shanghai). */
  @IsString()
  @Matches(/^\S+( \S+){4}$/, { message: 'RECONCILIATION_CRON must be a five-field cron expression' })
  RECONCILIATION_CRON = '30 18 * * *';

  static check(c: PaymentsConfig, core: AppConfig): { variable: string; problem: string }[] {
    const problems: { variable: string; problem: string }[] = [];
    if (c.PAYMENT_PROVIDERS === 'live' && !c.PAYMENT_CREDENTIALS_FILE) {
      problems.push({ variable: 'PAYMENT_CREDENTIALS_FILE', problem: 'PAYMENT_CREDENTIALS_FILE is required when PAYMENT_PROVIDERS=live' });
    }
    if (core.NODE_ENV === 'production' && c.PAYMENT_PROVIDERS === 'sandbox') {
      // the sandbox lets anyone "pay": never in production
      problems.push({ variable: 'PAYMENT_PROVIDERS', problem: 'PAYMENT_PROVIDERS must be live in production (the sandbox lets anyone pay)' });
    }
    if (core.NODE_ENV === 'production' && !c.PUBLIC_BASE_URL) {
      problems.push({ variable: 'PUBLIC_BASE_URL', problem: 'PUBLIC_BASE_URL must be set in production (the providers post notifications there)' });
    }
    return problems;
  }
}
