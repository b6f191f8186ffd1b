import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { NotFoundError, Public, shanghaiDayRange, ValidationFailedError, OptionalField } from '@app/common';
import { SandboxKeysService } from './sandbox-keys.service.js';
import { SandboxNotifier } from './sandbox-notifier.service.js';
import type { DeliveryReport } from './sandbox-notifier.service.js';
import { SandboxStore } from './sandbox-store.service.js';
import { parseSandboxProvider } from './sandbox.types.js';
import type { SandboxProvider, SandboxTrade } from './sandbox.types.js';

export class FaultsDto {
  @IsIn(['NORMAL', 'DROP', 'DUPLICATE', 'DELAY_MS'])
  notifications: 'NORMAL' | 'DROP' | 'DUPLICATE' | 'DELAY_MS';

  @ValidateIf((o: FaultsDto) => o.notifications === 'DELAY_MS' || o.delayMs !== undefined)
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600000)
  delayMs?: number;

  /** Beyond api.md: `DOWN` makes the gateway's API answer 503 (a provider outage) until set `UP` again. */
  @OptionalField()
  @IsIn(['UP', 'DOWN'])
  gateway?: 'UP' | 'DOWN';
}

/** A notification resent now, with fields altered but signed correctly (unless corruptSignature): provider anomalies on demand. */
export class SandboxNotificationDto {
  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  amount?: number;

  @OptionalField()
  @Matches(/^[A-Z]{3}$/)
  currency?: string;

  @OptionalField()
  @IsString()
  @MaxLength(64)
  merchantId?: string;

  @OptionalField()
  @IsString()
  @MaxLength(64)
  notificationId?: string;

  @OptionalField()
  @IsBoolean()
  corruptSignature?: boolean;
}

interface TradeView {
  provider: SandboxProvider;
  providerTradeId: string;
  outTradeNo: string;
  status: SandboxTrade['status'];
  amount: number;
  currency: string;
  refunded: number;
  notification?: DeliveryReport;
}

const view = (t: SandboxTrade, notification?: DeliveryReport): TradeView => ({
  provider: t.provider,
  providerTradeId: t.tradeNo,
  outTradeNo: t.outTradeNo,
  status: t.status,
  amount: Number(t.amount),
  currency: t.currency,
  refunded: Number(t.refunded),
  notification,
});

function provider(raw: string): SandboxProvider {
  const code = parseSandboxProvider(raw);
  if (!code) throw new NotFoundError(`No sandbox gateway ${raw}`);
  return code;
}

/**
 * The payer's side of every sandbox gateway (api.md, Provider sandbox):
 * pay or fail a trade, switch notification faults, read settlement files.
 * Anyone may call it: it stands for the outside world.
 */
@ApiTags('sandbox')
@Public()
@Controller('sandbox/:provider')
export class SandboxController {
  constructor(
    private readonly store: SandboxStore,
    private readonly notifier: SandboxNotifier,
    private readonly keys: SandboxKeysService,
  ) {}

  @Get('trades/:tradeId')
  async trade(@Param('provider') p: string, @Param('tradeId') id: string): Promise<TradeView> {
    return view(await this.store.get(provider(p), id));
  }

  /** The trade is paid; the notification is delivered before this answers (unless the fault switch says otherwise). */
  @Post('trades/:tradeId/pay')
  @HttpCode(200)
  async pay(@Param('provider') p: string, @Param('tradeId') id: string): Promise<TradeView> {
    const trade = await this.store.pay(provider(p), id);
    return view(trade, await this.notifier.notify(trade));
  }

  @Post('trades/:tradeId/fail')
  @HttpCode(200)
  async fail(@Param('provider') p: string, @Param('tradeId') id: string): Promise<TradeView> {
    const trade = await this.store.fail(provider(p), id);
    return view(trade, await this.notifier.notify(trade));
  }

  /** Sends the trade's notification again now (fault switch ignored), optionally altered. */
  @Post('trades/:tradeId/notifications')
  @HttpCode(200)
  async resend(@Param('provider') p: string, @Param('tradeId') id: string, @Body() body: SandboxNotificationDto): Promise<TradeView> {
    const trade = await this.store.get(provider(p), id);
    if (trade.status !== 'PAID' && trade.status !== 'FAILED') {
      throw new ValidationFailedError([{ field: 'tradeId', problems: ['only a paid or failed trade has a notification'] }]);
    }
    const report = await this.notifier.notify(
      trade,
      { ...body, amount: body.amount === undefined ? undefined : BigInt(body.amount) },
      true,
    );
    return view(trade, report);
  }

  @Post('faults')
  @HttpCode(200)
  async faults(@Param('provider') p: string, @Body() body: FaultsDto): Promise<{ notifications: string; delayMs: number; gateway: 'UP' | 'DOWN' }> {
    const delayMs = body.notifications === 'DELAY_MS' ? (body.delayMs ?? 0) : 0;
    await this.store.setFault(provider(p), { mode: body.notifications, delayMs, gatewayDown: body.gateway === 'DOWN' });
    return { notifications: body.notifications, delayMs, gateway: body.gateway ?? 'UP' };
  }

  /** The provider's settlement file for an Asia/Shanghai day, in its own format. */
  @Get('settlements/:date')
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: "The provider's settlement file (CSV in its own layout)", content: { 'text/csv': { schema: { type: 'string' } } } })
  async settlement(@Param('provider') p: string, @Param('date') date: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const code = provider(p);
    const { start, end } = shanghaiDayRange(date);
    const entries = await this.store.settlementEntries(code, start, end);
    const file = this.notifier.gateway(code).settlementFile(entries, await this.keys.gatewaySecrets(code));
    void reply.header('content-type', file.contentType);
    return file.body;
  }
}
