import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PaymentAmountDto } from '@app/common';
import { PROVIDER_CODES } from '../provider/payment-provider.js';
import type { ProviderCode } from '../provider/payment-provider.js';

export class TopUpDto extends PaymentAmountDto {
  @ApiProperty({ enum: PROVIDER_CODES })
  @IsIn(PROVIDER_CODES)
  provider: ProviderCode;
}
