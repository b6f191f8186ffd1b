import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { PaymentAmountDto } from '@app/common';

export class AdjustmentDto extends PaymentAmountDto {
  @ApiProperty({ description: 'the user whose wallet is corrected' })
  @IsUUID()
  userId: string;

  @ApiProperty({ enum: ['CREDIT', 'DEBIT'] })
  @IsIn(['CREDIT', 'DEBIT'])
  direction: 'CREDIT' | 'DEBIT';

  @ApiProperty({ maxLength: 500, description: 'shown to the user and kept in the audit log' })
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
}
