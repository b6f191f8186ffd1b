import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { OptionalField } from '@app/common';
import { ID_TYPES, type IdType } from '../domain/id-number.js';

export const E164 = /^\+[1-9]\d{6,14}$/;

export class RegisterDto {
  @ApiProperty({ example: '+8613800138000', description: 'E.164 phone number' })
  @IsString()
  @Matches(E164, { message: 'phone must be an E.164 number such as +8613800138000' })
  phone: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  password: string;

  @ApiPropertyOptional({ maxLength: 64 })
  @OptionalField()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  displayName?: string;
}

export class LoginDto {
  @ApiProperty({ example: '+8613800138000' })
  @IsString()
  @Matches(E164, { message: 'phone must be an E.164 number such as +8613800138000' })
  phone: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  password: string;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  refreshToken: string;
}

export class RealNameDto {
  @ApiProperty({ maxLength: 64 })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(/\S/, { message: 'fullName must not be blank' })
  fullName: string;

  @ApiProperty({ enum: ID_TYPES })
  @IsIn(ID_TYPES)
  idType: IdType;

  @ApiProperty({ maxLength: 32 })
  @IsString()
  @MinLength(1)
  @MaxLength(32)
  idNumber: string;
}
