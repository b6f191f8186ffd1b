import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { MAX_PAYMENT_MINOR, OptionalField } from '@app/common';
import { BILLER_CATEGORIES } from '../biller-profile.js';

export const MAX_BILLS_PER_LOAD = 10_000;
export const PAYMENT_METHODS = ['WALLET', 'ALIPAY', 'WECHAT_PAY', 'UNIONPAY', 'ALIPAY_HK'] as const;

export class BillersQuery {
  @ApiPropertyOptional({ enum: BILLER_CATEGORIES })
  @OptionalField()
  @IsIn(BILLER_CATEGORIES)
  category?: string;
}

export class BulkBillsDto {
  @ApiProperty({
    description: `up to ${MAX_BILLS_PER_LOAD} bills {customerRef, period (YYYY-MM), amount, currency, dueDate (YYYY-MM-DD), customerName?}; each row is checked on its own`,
    type: 'array',
    items: { type: 'object' },
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BILLS_PER_LOAD)
  bills: unknown[];
}

export class BillFetchQuery {
  @ApiProperty({ description: "the customer's account number at the biller" })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, { message: 'customerRef must be 1-64 letters, digits, "-" or "_"' })
  customerRef: string;
}

export class SettlementQuery {
  @ApiProperty({ example: '2026-11-21', description: 'an Asia/Shanghai business day' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'date must be YYYY-MM-DD' })
  date: string;
}

export const MAX_SETTLEMENT_RANGE_DAYS = 92;

export class SettlementRangeQuery {
  @ApiProperty({ example: '2026-11-01', description: 'first Asia/Shanghai business day, included' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'from must be YYYY-MM-DD' })
  from: string;

  @ApiProperty({ example: '2026-11-30', description: `last business day, included; at most ${MAX_SETTLEMENT_RANGE_DAYS} days after from` })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'to must be YYYY-MM-DD' })
  to: string;
}

export class WebhookDto {
  @ApiProperty({ example: 'https://biller.example.cn/citypay/events' })
  @IsString()
  @MaxLength(2000)
  url: string;
}

export class LinkAccountDto {
  @ApiProperty()
  @IsUUID()
  billerId: string;

  @ApiProperty()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, { message: 'customerRef must be 1-64 letters, digits, "-" or "_"' })
  customerRef: string;

  @ApiPropertyOptional({ maxLength: 40 })
  @OptionalField()
  @IsString()
  @MaxLength(40)
  alias?: string;
}

export class AutopayDto {
  @ApiProperty({ description: 'the largest bill paid automatically, minor units of the biller currency', maximum: MAX_PAYMENT_MINOR })
  @IsInt()
  @Min(1)
  @Max(MAX_PAYMENT_MINOR)
  maxAmount: number;
}

export class PayBillDto {
  @ApiPropertyOptional({ description: 'minor units; default: the outstanding amount', minimum: 1, maximum: MAX_PAYMENT_MINOR })
  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(MAX_PAYMENT_MINOR)
  amount?: number;

  @ApiProperty({ enum: PAYMENT_METHODS })
  @IsIn(PAYMENT_METHODS)
  method: (typeof PAYMENT_METHODS)[number];
}
