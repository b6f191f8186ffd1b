import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsObject, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { OptionalField } from '@app/common';

export const MAX_TAPS_PER_BATCH = 500;
/** A route's code (routes, vehicles, and each tap of a batch). */
export const ROUTE_CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

export class CreateRouteDto {
  @ApiProperty({ example: 'B1', description: '1-32 letters, digits, ".", "-", "_"' })
  @IsString()
  @Matches(ROUTE_CODE, { message: 'code must be 1-32 letters, digits, ".", "-" or "_"' })
  code: string;

  @ApiProperty({ example: '滨海1路' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @ApiProperty({
    description: '{type: FLAT, amount, currency} or {type: DISTANCE, baseAmount, baseStops, perStopAmount, maxAmount, currency}',
    type: 'object',
    additionalProperties: true,
  })
  @IsObject()
  fare: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'the operator, when the caller is staff of several' })
  @OptionalField()
  @IsUUID()
  operatorId?: string;
}

export class CreateVehicleDto {
  @ApiProperty({ example: '津A·12345' })
  @IsString()
  @MinLength(1)
  @MaxLength(20)
  plate: string;

  @ApiProperty({ example: 'B1' })
  @IsString()
  @Matches(ROUTE_CODE, { message: 'routeCode must be 1-32 letters, digits, ".", "-" or "_"' })
  routeCode: string;

  @ApiPropertyOptional({ description: 'the operator, when the caller is staff of several' })
  @OptionalField()
  @IsUUID()
  operatorId?: string;
}

export class TapsDto {
  @ApiProperty({
    description: `up to ${MAX_TAPS_PER_BATCH} taps {tapId (uuid), code, scannedAt (ISO 8601), routeCode, vehicleId?, stopIndex?, direction?: IN | OUT}; each is checked on its own`,
    type: 'array',
    items: { type: 'object' },
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TAPS_PER_BATCH)
  taps: unknown[];
}

export const SCAN_METHODS = ['WALLET', 'ALIPAY', 'WECHAT_PAY', 'UNIONPAY', 'ALIPAY_HK'] as const;

export class ScanToPayDto {
  @ApiProperty({ description: 'the EMVCo payload of the sticker at the bus door' })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  vehicleQr: string;

  @ApiPropertyOptional({ enum: SCAN_METHODS, default: 'WALLET' })
  @OptionalField()
  @IsIn(SCAN_METHODS)
  method?: (typeof SCAN_METHODS)[number];
}

export class EmptyDto {}

export class BlocklistQuery {
  @ApiPropertyOptional({ description: 'the version the reader holds: only the changes after it' })
  @OptionalField()
  @Matches(/^\d{1,18}$/, { message: 'since must be a version number' })
  since?: string;
}

export class SettlementQuery {
  @ApiProperty({ example: '2026-12-01', description: 'an Asia/Shanghai business day' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'date must be YYYY-MM-DD' })
  date: string;

  @ApiPropertyOptional({ description: 'the operator, when the caller is staff of several' })
  @OptionalField()
  @IsUUID()
  operatorId?: string;
}

export class RideCredentialDto {
  @ApiProperty({ description: "the phone's public key: JWK {kty: EC, crv: P-256, x, y}", type: 'object', additionalProperties: true })
  @IsObject()
  publicKey: Record<string, unknown>;
}

export class FarePolicyDto {
  @ApiPropertyOptional({ description: '{windowMinutes (1-180), discount: {amount, currency}}', type: 'object', additionalProperties: true })
  @OptionalField()
  @IsObject()
  transfer?: Record<string, unknown>;

  @ApiPropertyOptional({ description: '{amount, currency}: what one rider pays this operator in one Asia/Shanghai day at most', type: 'object', additionalProperties: true })
  @OptionalField()
  @IsObject()
  dailyCap?: Record<string, unknown>;

  @ApiPropertyOptional({ description: '{SENIOR?: {percentOff (0-100), minAge? (default 60)}}', type: 'object', additionalProperties: true })
  @OptionalField()
  @IsObject()
  concessions?: Record<string, unknown>;
}
