import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BodyLimit, NotFoundError, Public } from '@app/common';
import { parseProviderCode } from '../provider/payment-provider.js';
import { PaymentNotificationsService } from './payment-notifications.service.js';

/**
 * Where providers post payment notifications, in their own wire format.
 * Public (the provider signs, we verify); answered the way each provider
 * expects (`success` for Alipay, 204 for WeChat Pay, ...).
 */
@ApiTags('providers')
@Public()
@Controller('v1/providers/:provider/notifications')
export class ProviderNotificationsController {
  constructor(private readonly notifications: PaymentNotificationsService) {}

  @Post()
  @HttpCode(200)
  @BodyLimit(64 * 1024)
  @ApiOperation({
    summary: "A provider's payment notification, in its own signed wire format",
    description: 'Called by the payment providers, not by clients: the signature is verified with the provider key; a bad one changes nothing.',
  })
  @ApiParam({ name: 'provider', enum: ['ALIPAY', 'WECHAT_PAY', 'UNIONPAY', 'ALIPAY_HK'] })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ description: "the provider's notification: a signed form (Alipay, UnionPay) or JSON (WeChat Pay, Alipay+)", schema: { type: 'string' } })
  @ApiOkResponse({ description: 'what the provider expects (`success` for Alipay, `ok` for UnionPay, JSON for WeChat Pay and Alipay+)', content: { 'text/plain': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } } } })
  async notify(
    @Param('provider') raw: string,
    @Req() req: FastifyRequest & { rawBody?: Buffer },
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const code = parseProviderCode(raw);
    if (!code) throw new NotFoundError(`No provider ${raw}`);
    const answer = await this.notifications.handle(code, {
      path: req.url.split('?')[0],
      rawBody: req.rawBody ?? Buffer.alloc(0),
      headers: req.headers,
    });
    void reply.status(answer.status).header('content-type', answer.contentType);
    return answer.body;
  }
}
