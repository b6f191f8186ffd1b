import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { OptionalField } from '@app/common';
import {
  CURRENCIES,
  DEVICE_KINDS,
  type DeviceKind,
  ORGANIZATION_KINDS,
  type OrganizationKind,
  STAFF_ROLES,
  type StaffRole,
} from '../identity.types.js';
import { E164 } from './auth.dto.js';

/**
 * Identity's fields of `POST /v1/admin/organizations`. The body may carry the
 * fields of the kind's organisation profile too (billerCategory, universityId,
 * ...): the contexts that own them validate them (see OrganizationProfiles).
 */
export class CreateOrganizationDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;

  @ApiProperty({ enum: ORGANIZATION_KINDS })
  @IsIn(ORGANIZATION_KINDS)
  kind: OrganizationKind;

  @ApiPropertyOptional({ enum: CURRENCIES, default: 'CNY' })
  @OptionalField()
  @IsIn(CURRENCIES)
  currency?: string;
}

export class ListOrganizationsQuery {
  @ApiPropertyOptional({ enum: ORGANIZATION_KINDS })
  @OptionalField()
  @IsIn(ORGANIZATION_KINDS)
  kind?: OrganizationKind;
}

export class GrantStaffDto {
  @ApiProperty({ example: '+8613800138000' })
  @IsString()
  @Matches(E164, { message: 'phone must be an E.164 number such as +8613800138000' })
  phone: string;

  @ApiProperty({ enum: STAFF_ROLES })
  @IsIn(STAFF_ROLES)
  role: StaffRole;
}

export class CreateDeviceDto {
  @ApiProperty({ enum: DEVICE_KINDS })
  @IsIn(DEVICE_KINDS)
  kind: DeviceKind;

  @ApiProperty({ maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/\S/, { message: 'label must not be blank' })
  label: string;
}

export class DeviceHeartbeatDto {
  @ApiPropertyOptional({ maxLength: 50 })
  @OptionalField()
  @IsString()
  @MaxLength(50)
  appVersion?: string;
}
