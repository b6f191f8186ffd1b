import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { MAX_PAYMENT_MINOR, OptionalField } from '@app/common';

export const MAX_MEMBERS_PER_CALL = 10_000;
export const MAX_OFFLINE_CHARGES = 500;
export const TOP_UP_SOURCES = ['WALLET', 'ALIPAY', 'WECHAT_PAY', 'UNIONPAY'] as const;
export type TopUpSource = (typeof TOP_UP_SOURCES)[number];

export class MemberDto {
  @ApiProperty({ example: '2024010203' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'memberNo must be 1-64 letters, digits, _ or -' })
  memberNo: string;

  @ApiProperty({ example: '张三' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  fullName: string;

  @ApiProperty({ enum: ['STUDENT', 'STAFF'] })
  @IsIn(['STUDENT', 'STAFF'])
  kind: 'STUDENT' | 'STAFF';

  @ApiPropertyOptional({ default: true, description: 'false closes access' })
  @OptionalField()
  @IsBoolean()
  active?: boolean;
}

export class MembersDto {
  @ApiProperty({ type: [MemberDto], maxItems: MAX_MEMBERS_PER_CALL })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MEMBERS_PER_CALL)
  @ValidateNested({ each: true })
  @Type(() => MemberDto)
  members: MemberDto[];
}

export class IssueCardDto {
  @ApiProperty()
  @IsUUID()
  universityId: string;

  @ApiProperty()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  memberNo: string;
}

export class CardTopUpDto {
  @ApiProperty({ minimum: 1, maximum: MAX_PAYMENT_MINOR })
  @IsInt()
  @Min(1)
  @Max(MAX_PAYMENT_MINOR)
  amount: number;

  @ApiProperty({ enum: TOP_UP_SOURCES })
  @IsIn(TOP_UP_SOURCES)
  source: TopUpSource;
}

export class ChargeDto {
  @ApiProperty({ description: 'the card code scanned from the phone' })
  @IsString()
  @MaxLength(1000)
  code: string;

  @ApiProperty({ minimum: 1, maximum: MAX_PAYMENT_MINOR })
  @IsInt()
  @Min(1)
  @Max(MAX_PAYMENT_MINOR)
  amount: number;

  @ApiPropertyOptional()
  @OptionalField()
  @IsString()
  @MaxLength(200)
  description?: string;

  @ApiPropertyOptional({ description: 'the card PIN (6 digits), needed above the password-free limit' })
  @OptionalField()
  @Matches(/^\d{6}$/, { message: 'pin must be 6 digits' })
  pin?: string;
}

export class UpdateCardDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAYMENT_MINOR })
  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(MAX_PAYMENT_MINOR)
  dailyLimit?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_PAYMENT_MINOR })
  @OptionalField()
  @IsInt()
  @Min(0)
  @Max(MAX_PAYMENT_MINOR)
  passwordFreeLimit?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_PAYMENT_MINOR,
    description: 'how far below zero offline charges may take the card (default 5000); the owner may set up to 5000, the university staff any value',
  })
  @OptionalField()
  @IsInt()
  @Min(0)
  @Max(MAX_PAYMENT_MINOR)
  offlineLimit?: number;
}

export class PinDto {
  @ApiProperty({ description: '6 digits; never returned or logged' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'pin must be 6 digits' })
  pin: string;
}

export class SubsidyDto {
  @ApiProperty({ type: [String] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MEMBERS_PER_CALL)
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { each: true })
  memberNos: string[];

  @ApiProperty({ minimum: 1, maximum: MAX_PAYMENT_MINOR })
  @IsInt()
  @Min(1)
  @Max(MAX_PAYMENT_MINOR)
  amount: number;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  memo: string;

  @ApiPropertyOptional({ description: 'the unspent part returns to the fund at this moment' })
  @OptionalField()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class RefundDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAYMENT_MINOR, description: 'default: what is left to refund' })
  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(MAX_PAYMENT_MINOR)
  amount?: number;
}

export class OfflineChargeDto {
  @ApiProperty({ description: 'uuid made by the POS' })
  @IsUUID()
  chargeId: string;

  @ApiProperty()
  @IsString()
  @MaxLength(1000)
  code: string;

  @ApiProperty({ minimum: 1, maximum: MAX_PAYMENT_MINOR })
  @IsInt()
  @Min(1)
  @Max(MAX_PAYMENT_MINOR)
  amount: number;

  @ApiProperty()
  @IsISO8601({ strict: true })
  chargedAt: string;
}

export class OfflineChargesDto {
  @ApiProperty({ type: [OfflineChargeDto], maxItems: MAX_OFFLINE_CHARGES })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_OFFLINE_CHARGES)
  @ValidateNested({ each: true })
  @Type(() => OfflineChargeDto)
  charges: OfflineChargeDto[];
}

export class DateQuery {
  @ApiProperty({ example: '2026-11-21', description: 'an Asia/Shanghai business day' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'date must be YYYY-MM-DD' })
  date: string;
}
