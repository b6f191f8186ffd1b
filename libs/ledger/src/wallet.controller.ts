import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { CurrentUser, decodeSequenceCursor, DEFAULT_PAGE_SIZE, Idempotent, PageQuery, PlatformAdmin, ReqMeta } from '@app/common';
import type { AuthenticatedUser, Page, RequestMeta } from '@app/common';
import { AdjustmentDto } from './dto/wallet.dto.js';
import { WalletService } from './wallet.service.js';
import type { AdjustmentResult, WalletTransaction } from './wallet.service.js';

@ApiTags('wallet')
@ApiBearerAuth()
@Controller('v1/wallet')
export class WalletController {
  constructor(private readonly wallets: WalletService) {}

  @Get()
  async wallet(@CurrentUser() user: AuthenticatedUser): Promise<{ balances: { amount: number; currency: string }[] }> {
    return { balances: await this.wallets.balances(user.id) };
  }

  @Get('transactions')
  transactions(@CurrentUser() user: AuthenticatedUser, @Query() q: PageQuery): Promise<Page<WalletTransaction>> {
    return this.wallets.transactions(user.id, q.limit ?? DEFAULT_PAGE_SIZE, decodeSequenceCursor(q.cursor));
  }
}

@ApiTags('wallet')
@ApiBearerAuth()
@Controller('v1/admin/adjustments')
@PlatformAdmin()
export class AdjustmentsController {
  constructor(private readonly wallets: WalletService) {}

  @Post()
  @Idempotent()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  adjust(@Body() body: AdjustmentDto, @CurrentUser() user: AuthenticatedUser, @ReqMeta() meta: RequestMeta): Promise<AdjustmentResult> {
    return this.wallets.adjust(user.id, body, meta);
  }
}
