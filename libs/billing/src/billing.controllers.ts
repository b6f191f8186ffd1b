import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { BodyLimit, decodeTimeCursor, DEFAULT_PAGE_SIZE, Idempotent, PageQuery } from '@app/common';
import { CurrentUser, OrgRole, RequireKyc } from '@app/identity';
import type { AuthenticatedUser } from '@app/identity';
import type { PayResult } from './bill-payment.js';
import { BillReceiptsService } from './bill-receipts.service.js';
import { BillSettlementsService } from './bill-settlements.service.js';
import { PayBillService } from './pay-bill.service.js';
import { BillsService } from './bills.service.js';
import type { Biller, BillerAccountView, BillView, LoadResult } from './bills.service.js';
import { AutopayDto, BillersQuery, BillFetchQuery, BulkBillsDto, LinkAccountDto, PayBillDto, SettlementQuery, SettlementRangeQuery, WebhookDto } from './dto/billing.dto.js';
import { WebhooksService } from './webhooks.service.js';

const STAFF = ['ORG_ADMIN', 'ORG_OPERATOR'] as const;

@ApiTags('bills')
@ApiBearerAuth()
@Controller('v1/billers')
export class BillersController {
  constructor(
    private readonly bills: BillsService,
    private readonly settlements: BillSettlementsService,
    private readonly webhooks: WebhooksService,
  ) {}

  @Get()
  async list(@Query() q: BillersQuery): Promise<Omit<Biller, 'currency'>[]> {
    return (await this.bills.billers(q.category)).map(({ currency: _currency, ...b }) => b);
  }

  /** Bulk load by the biller's staff: upsert on (customerRef, period); bad rows and bills with payments come back by index. */
  @Post(':billerId/bills')
  @OrgRole([...STAFF], { param: 'billerId' })
  @BodyLimit(16 * 1024 * 1024)
  load(@Param('billerId') billerId: string, @Body() body: BulkBillsDto): Promise<LoadResult> {
    return this.bills.load(billerId, body.bills);
  }

  /** Bill fetch by account number (customer name masked). */
  @Get(':billerId/bills')
  @RequireKyc()
  fetch(@Param('billerId') billerId: string, @Query() q: BillFetchQuery): Promise<BillView[]> {
    return this.bills.fetch(billerId, q.customerRef);
  }

  @Get(':billerId/settlements')
  @OrgRole([...STAFF], { param: 'billerId' })
  settlement(@Param('billerId') billerId: string, @Query() q: SettlementQuery): ReturnType<BillSettlementsService['settlement']> {
    return this.settlements.settlement(billerId, q.date);
  }

  /** Daily totals over a range of business days (both included, at most 92), zero days included: the operator console's chart. */
  @Get(':billerId/settlements/daily')
  @OrgRole([...STAFF], { param: 'billerId' })
  dailySettlements(@Param('billerId') billerId: string, @Query() q: SettlementRangeQuery): ReturnType<BillSettlementsService['dailySettlements']> {
    return this.settlements.dailySettlements(billerId, q.from, q.to);
  }

  /** Registers the biller's webhook URL; answers the signing secret (shown this once; registering again rotates it). */
  @Put(':billerId/webhook')
  @OrgRole('ORG_ADMIN', { param: 'billerId' })
  async webhook(@Param('billerId') billerId: string, @Body() body: WebhookDto): Promise<{ url: string; secret: string }> {
    await this.bills.biller(billerId);
    return this.webhooks.register(billerId, body.url);
  }

  @Get(':billerId/webhook-deliveries')
  @OrgRole([...STAFF], { param: 'billerId' })
  deliveries(@Param('billerId') billerId: string, @Query() q: PageQuery): ReturnType<WebhooksService['deliveries']> {
    return this.webhooks.deliveries(billerId, q.limit ?? DEFAULT_PAGE_SIZE, decodeTimeCursor(q.cursor));
  }
}

@ApiTags('bills')
@ApiBearerAuth()
@Controller('v1/me')
export class MyBillsController {
  constructor(private readonly bills: BillsService) {}

  @Post('biller-accounts')
  link(@CurrentUser() user: AuthenticatedUser, @Body() body: LinkAccountDto): Promise<BillerAccountView> {
    return this.bills.link(user.id, body);
  }

  @Get('biller-accounts')
  accounts(@CurrentUser() user: AuthenticatedUser): Promise<BillerAccountView[]> {
    return this.bills.accounts(user.id);
  }

  /** Auto-pay from the wallet for new bills of this account up to maxAmount. */
  @Put('biller-accounts/:id/auto-pay')
  @RequireKyc()
  autopayOn(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string, @Body() body: AutopayDto): Promise<BillerAccountView> {
    return this.bills.setAutopay(user.id, id, BigInt(body.maxAmount));
  }

  @Delete('biller-accounts/:id/auto-pay')
  @HttpCode(200)
  autopayOff(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string): Promise<BillerAccountView> {
    return this.bills.setAutopay(user.id, id, null);
  }

  /** What auto-pay did for this account: paid, or why not (cap exceeded, wallet short, ...). */
  @Get('biller-accounts/:id/auto-pay/attempts')
  attempts(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string, @Query() q: PageQuery): ReturnType<BillsService['autopayAttempts']> {
    return this.bills.autopayAttempts(user.id, id, q.limit ?? DEFAULT_PAGE_SIZE, decodeTimeCursor(q.cursor));
  }

  @Get('bills')
  myBills(@CurrentUser() user: AuthenticatedUser): Promise<BillView[]> {
    return this.bills.myBills(user.id);
  }
}

@ApiTags('bills')
@ApiBearerAuth()
@Controller('v1')
export class BillPaymentsController {
  constructor(
    private readonly payBill: PayBillService,
    private readonly receipts: BillReceiptsService,
  ) {}

  /** By WALLET (settled at once) or a provider (PENDING with a checkout). */
  @Post('bills/:billId/payments')
  @RequireKyc()
  // a wallet payment claims its key in the statement that pays (one statement and commit); a provider's goes the ordinary way
  @Idempotent({ claimInStatement: (body) => (body as { method?: unknown } | null)?.method === 'WALLET' })
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  pay(@CurrentUser() user: AuthenticatedUser, @Param('billId') billId: string, @Body() body: PayBillDto): Promise<PayResult> {
    return this.payBill.pay(user.id, billId, body);
  }

  /** A bill payment and its receipt, for its payer (the path is api.md's; what it shows is a bill payment). */
  @Get('payments/:id')
  billPayment(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string): ReturnType<BillReceiptsService['billPaymentOfPayer']> {
    return this.receipts.billPaymentOfPayer(user.id, id);
  }
}
