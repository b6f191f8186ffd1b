import { Injectable } from '@nestjs/common';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, switchMap } from 'rxjs';
import type { Observable } from 'rxjs';
import { SandboxStore } from './sandbox-store.service.js';
import { parseSandboxProvider } from './sandbox.types.js';

/**
 * On a gateway's API controller: while its fault switch says `gateway: DOWN`,
 * every call answers 503 with an empty body, as an unreachable provider
 * would look to the platform.
 */
@Injectable()
export class GatewayOutage implements NestInterceptor {
  constructor(private readonly store: SandboxStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const provider = parseSandboxProvider(request.url.split('/')[2] ?? '');
    if (!provider) return next.handle();
    return from(this.store.fault(provider)).pipe(
      switchMap((fault) => {
        if (!fault.gatewayDown) return next.handle();
        void http.getResponse<FastifyReply>().status(503).header('content-type', 'text/plain');
        return from(Promise.resolve('gateway unavailable'));
      }),
    );
  }
}
