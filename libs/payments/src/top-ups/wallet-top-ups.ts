import { Body, Controller, Get, Injectable, Param, Post } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { CurrentUser, IdempotencyService, Idempotent, RequireKyc } from '@app/common';
import type { AuthenticatedUser } from '@app/common';
import { withTransactionRetry } from '@app/database';
import { WalletService } from '@app/ledger';
import { NotificationsService } from '@app/notifications';
import { TopUpDto } from '../dto/top-up.dto.js';
import { toView } from '../orders/payment-order.js';
import type { PaymentOrderView } from '../orders/payment-order.js';
import { PaymentOrdersService } from '../orders/payment-orders.service.js';
import { PaymentPurposes } from '../orders/payment-purposes.js';

const PROVIDER_NAMES = { ALIPAY: 'Alipay', WECHAT_PAY: 'WeChat Pay', UNIONPAY: 'UnionPay', ALIPAY_HK: 'AlipayHK' } as const;

/**
 * Wallet top-ups through a provider: the order is reserved, the provider
 * opens the trade (outside any transaction), the checkout is stored with
 * the idempotent response. The wallet is credited only when the payment is
 * captured (WALLET_TOP_UP handler: provider clearing -> the user's wallet).
 */
@Injectable()
export class WalletTopUps implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: PaymentOrdersService,
    private readonly purposes: PaymentPurposes,
    private readonly wallets: WalletService,
    private readonly idempotency: IdempotencyService,
    private readonly notifications: NotificationsService,
  ) {}

  onModuleInit(): void {
    this.purposes.register('WALLET_TOP_UP', {
      onCaptured: async (order, m) => {
        // in the capture's transaction: the citizen hears of it if and only if the wallet is credited
        await this.notifications.notify(m, {
          userId: order.userId,
          type: 'TOP_UP_SUCCEEDED',
          key: order.id,
          data: { orderId: order.id, amount: { amount: Number(order.amount), currency: order.currency }, provider: order.provider },
        });
        return {
          accept: true,
          account: await this.wallets.walletAccount(order.userId, order.currency, m),
          kind: 'TOP_UP',
          description: `Top-up via ${PROVIDER_NAMES[order.provider]}`,
        };
      },
    });
  }

  async start(user: AuthenticatedUser, input: TopUpDto): Promise<PaymentOrderView> {
    const order = await this.orders.create({
      userId: user.id,
      purpose: 'WALLET_TOP_UP',
      provider: input.provider,
      amount: BigInt(input.amount),
      currency: input.currency,
      subject: 'City Pay wallet top-up',
    });
    const checkout = await this.orders.openCheckout(order);
    return withTransactionRetry(this.dataSource, async (m) => {
      const view = toView(await this.orders.saveCheckout(m, order.id, checkout));
      await this.idempotency.record(m, view);
      return view;
    });
  }
}

@ApiTags('wallet')
@ApiBearerAuth()
@Controller('v1')
export class WalletTopUpsController {
  constructor(
    private readonly topUps: WalletTopUps,
    private readonly orders: PaymentOrdersService,
  ) {}

  /** 201 with the checkout (QR payload or redirect); the wallet is credited when the provider confirms. */
  @Post('wallet/top-ups')
  @RequireKyc()
  @Idempotent()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  topUp(@CurrentUser() user: AuthenticatedUser, @Body() body: TopUpDto): Promise<PaymentOrderView> {
    return this.topUps.start(user, body);
  }

  @Get('payment-orders/:id')
  async order(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string): Promise<PaymentOrderView> {
    return toView(await this.orders.getOwned(id, user.id));
  }
}
