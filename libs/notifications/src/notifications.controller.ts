import { Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { decodeSequenceCursor, DEFAULT_PAGE_SIZE, UUID } from '@app/common';
import { CurrentUser, IdentityConfig } from '@app/identity';
import type { AuthenticatedUser } from '@app/identity';
import { pickLanguage } from './domain/notification-types.js';
import { LanguageQuery, NotificationPageDto, NotificationsQuery } from './dto/notifications.dto.js';
import { NotificationStreams } from './notification-streams.js';
import { NotificationsService } from './notifications.service.js';
import type { NotificationPage } from './notifications.service.js';

/** When the caller's access token expires (ms), from its `exp`; the guard has verified it already. */
function tokenExpiry(authorization: string | undefined, fallbackMs: number): number {
  const payload = /^Bearer\s+[^.]+\.([^.]+)\./i.exec(authorization ?? '')?.[1];
  try {
    const exp = payload ? (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp : undefined;
    if (typeof exp === 'number') return exp * 1000;
  } catch {
    // fall through
  }
  return Date.now() + fallbackMs;
}

@ApiTags('notifications')
@ApiBearerAuth()
@Controller('v1/me')
export class NotificationsController {
  constructor(
    private readonly notifications: NotificationsService,
    private readonly streams: NotificationStreams,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
  ) {}

  @Get('notifications')
  @ApiOperation({ summary: 'My notifications, newest first, with the unread count' })
  @ApiHeader({ name: 'Accept-Language', required: false, description: 'zh-CN (default) or en, for title and body' })
  @ApiOkResponse({ type: NotificationPageDto })
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: NotificationsQuery, @Headers('accept-language') accept?: string): Promise<NotificationPage> {
    return this.notifications.list(user.id, {
      limit: q.limit ?? DEFAULT_PAGE_SIZE,
      beforeSeq: decodeSequenceCursor(q.cursor),
      unreadOnly: q.unread,
      language: pickLanguage(q.lang, accept),
    });
  }

  @Post('notifications/:id/read')
  @HttpCode(204)
  @ApiOperation({ summary: 'Mark one notification read (again: no change)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'NOT_FOUND: unknown, or not yours' })
  async read(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string): Promise<void> {
    await this.notifications.markRead(user.id, id);
  }

  @Post('notifications/read-all')
  @HttpCode(204)
  @ApiOperation({ summary: 'Mark all my notifications read' })
  @ApiNoContentResponse()
  async readAll(@CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.notifications.markAllRead(user.id);
  }

  /**
   * Server-sent events: each notification as it is committed, from any API
   * process (`event: <type>`, `id: <notification id>`, `data: <the
   * notification as the list shows it>`). `Last-Event-ID` (one of the
   * caller's notification ids) replays what came after it; without it (or
   * an id that is not the caller's) the stream starts now. Comment lines
   * (`: keep-alive`) every NOTIFICATIONS_HEARTBEAT_MS. The stream ends when
   * the access token expires and at server shutdown: reconnect with a fresh
   * token and Last-Event-ID.
   */
  @Get('events')
  @ApiOperation({ summary: 'Live notifications (text/event-stream); Last-Event-ID resumes' })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'id of the last notification received: replays those after it' })
  @ApiHeader({ name: 'Accept-Language', required: false, description: 'zh-CN (default) or en, for title and body' })
  @ApiOkResponse({
    description: 'one event per notification: `id: <notification id>`, `event: <type>`, `data: <the notification as GET /v1/me/notifications lists it>`; heartbeats as `: keep-alive` comments',
    content: { 'text/event-stream': { schema: { type: 'string', example: 'id: 7d3c…\nevent: BILL_PAID\ndata: {"id":"7d3c…","type":"BILL_PAID","title":"账单已缴费",…}\n\n' } } },
  })
  async events(
    @CurrentUser() user: AuthenticatedUser,
    @Query() q: LanguageQuery,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const lastEventId = [req.headers['last-event-id']].flat()[0]?.trim();
    const language = pickLanguage(q.lang, req.headers['accept-language']);
    const expiresAt = tokenExpiry(req.headers.authorization, this.config.ACCESS_TOKEN_TTL_SECONDS * 1000);
    reply.hijack();
    const res = reply.raw;
    const headers = reply.getHeaders() as Record<string, string>;
    const begin = () => {
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n: connected\n\n');
    };
    await this.streams.open(res, { userId: user.id, language, lastEventId: lastEventId && UUID.test(lastEventId) ? lastEventId : undefined, expiresAt }, begin);
  }
}
