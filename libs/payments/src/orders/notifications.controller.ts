import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
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
  @ApiExcludeEndpoint()
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
