import { Controller, Get } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '@app/common';
import { DatabaseHealthIndicator } from '@app/database';

/** Load balancers poll these: no per-IP limit (not even its hook). */
const NOT_RATE_LIMITED = { rateLimit: false };

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: DatabaseHealthIndicator,
  ) {}

  /** The process is up and serving HTTP. */
  @Public()
  @RouteConfig(NOT_RATE_LIMITED)
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready for traffic: the database answers and the schema is migrated. */
  @Public()
  @RouteConfig(NOT_RATE_LIMITED)
  @Get('ready')
  // documented by our OpenAPI document (apps/api/src/openapi), not by terminus: terminus would load
  // @nestjs/swagger with require() at run time, which fails silently in some loaders and not in others
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  ready() {
    return this.health.check([() => this.db.database(), () => this.db.migrations()]);
  }
}
