import { applyDecorators, Inject, Injectable, SetMetadata, UseInterceptors } from '@nestjs/common';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, randomUUID } from 'node:crypto';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { ConflictError, DomainError, ValidationFailedError } from '../errors/domain-error.js';
import { AllExceptionsFilter } from '../http/all-exceptions.filter.js';
import { IdempotencyKeyExistsError, IdempotencyService } from './idempotency.service.js';
import type { Claim, IdempotencyContext } from './idempotency.service.js';

export const IDEMPOTENT_KEY = 'citypay:idempotent';

export interface IdempotentOptions {
  /**
   * 'transactional' (default): the route's effects commit in a transaction
   * that also stores the response (`IdempotencyService.record(manager, body)`),
   * so neither exists without the other. 'none': the route writes nothing.
   */
  effects?: 'transactional' | 'none';
  /**
   * Given the request's body, whether its use case claims the key in the
   * statement that does its work (`IdempotencyService.sqlRecord()` with a
   * `requestHash`, see common.idempotency_claim_fresh): one statement and
   * commit instead of a claim's and then the work's. The route's handler
   * runs with the key not held yet; when the key was there already (a
   * replay, a reuse, a running request), or the request was refused, the
   * key is claimed the ordinary way after it. Only for a use case whose
   * every effect commits in that one statement.
   */
  claimInStatement?: (body: unknown) => boolean;
}

interface IdempotentMetadata {
  effects: 'transactional' | 'none';
  claimInStatement?: (body: unknown) => boolean;
}

/**
 * Marks a money-moving POST: it requires `Idempotency-Key` and never acts
 * twice for one key. The interceptor runs on these routes only (a global one
 * cost every other request a third of its throughput).
 */
export const Idempotent = (options: IdempotentOptions = {}): MethodDecorator =>
  applyDecorators(
    SetMetadata(IDEMPOTENT_KEY, { effects: options.effects ?? 'transactional', claimInStatement: options.claimInStatement } satisfies IdempotentMetadata),
    UseInterceptors(IdempotencyInterceptor),
  );

export class ResponseNotRecordedError extends Error {
  constructor(route: string) {
    super(`${route} is @Idempotent() but committed without IdempotencyService.record() in its transaction`);
    this.name = 'ResponseNotRecordedError';
  }
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export class IdempotencyKeyRequiredError extends DomainError {
  constructor() {
    super('IDEMPOTENCY_KEY_REQUIRED', 400, 'This request moves money: send an Idempotency-Key header (1-255 printable characters)');
  }
}

export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 422, 'This Idempotency-Key was already used with a different request');
  }
}

export class IdempotencyInProgressError extends ConflictError {
  constructor() {
    super('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still running; retry shortly');
  }
}

export interface IdempotencyOptions {
  /** How long a duplicate waits for the first request to finish before 409 IDEMPOTENCY_IN_PROGRESS. */
  waitMs: number;
}

export const IDEMPOTENCY_OPTIONS = Symbol('IDEMPOTENCY_OPTIONS');

/**
 * api.md Idempotency: same key and same request within 24 h replays the
 * first response (status and body, header `Idempotent-Replayed: true`);
 * same key, other request: 422; still running: the duplicate waits up to
 * `waitMs` for the first to finish, then 409. Bad input and server faults
 * give the key back; business refusals (402, 409, 422) are stored and
 * replayed like successes.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly errors = new AllExceptionsFilter();

  constructor(
    private readonly reflector: Reflector,
    private readonly store: IdempotencyService,
    @Inject(IDEMPOTENCY_OPTIONS) private readonly options: IdempotencyOptions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const options = this.reflector.get<IdempotentMetadata | undefined>(IDEMPOTENT_KEY, context.getHandler());
    if (!options) return next.handle();
    return from(this.handle(context, next, options));
  }

  private async handle(context: ExecutionContext, next: CallHandler, options: IdempotentMetadata): Promise<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: { kind: string; id: string }; rawBody?: Buffer }>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const header = request.headers['idempotency-key'];
    const key = Array.isArray(header) ? undefined : header;
    if (!key || !KEY_PATTERN.test(key)) throw new IdempotencyKeyRequiredError();
    const caller = request.user;
    if (!caller) throw new Error('@Idempotent() routes must be authenticated');
    const scope = `${caller.kind}:${caller.id}`;
    const hash = createHash('sha256')
      .update(`${request.method}\n${request.url}\n`)
      .update(request.rawBody ?? JSON.stringify(request.body ?? null))
      .digest();
    const status =
      (this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) as number | undefined) ?? (request.method === 'POST' ? 201 : 200);

    // the refusal of a request that ran before its key was held (claimInStatement): the key answers it once claimed
    let refused: { error: unknown } | undefined;
    if (options.claimInStatement?.(request.body)) {
      const ctx: IdempotencyContext = { scope, key, claim: randomUUID(), status, recorded: false, requestHash: hash, claimInStatement: true };
      try {
        const body = await this.store.run(ctx, () => lastValueFrom(next.handle(), { defaultValue: undefined }));
        if (ctx.recorded) return body;
        // a programming error (the route's use case did not claim the key it was given): its
        // effects may have committed without the key, so the request is not run a second time
        throw new ResponseNotRecordedError(`${request.method} ${request.routeOptions?.url ?? request.url}`);
      } catch (err) {
        if (err instanceof ResponseNotRecordedError) throw err;
        if (!(err instanceof IdempotencyKeyExistsError)) {
          // a server fault: the key is not held, and whatever committed holds it (a retry replays that)
          if (this.errors.toBody(err, request).statusCode >= 500) throw err;
          refused = { error: err };
        }
      }
    }

    const claim = await this.claim(scope, key, hash);
    switch (claim.kind) {
      case 'mismatch':
        throw new IdempotencyKeyReusedError();
      case 'in-progress':
        throw new IdempotencyInProgressError();
      case 'replay': {
        void reply.header('idempotent-replayed', 'true');
        if (claim.status >= 400) {
          const body = claim.body as { code: string; message: string; details?: ValidationFailedError['details'] };
          throw new DomainError(body.code, claim.status, body.message, body.details);
        }
        return claim.body;
      }
    }

    const ctx: IdempotencyContext = { scope, key, claim: claim.claim, status, recorded: false, requestHash: hash, claimInStatement: false };
    if (refused) {
      // nothing of that run committed, and no request with this key ran since: its answer is the key's
      await this.failed(ctx, refused.error, request);
      throw refused.error;
    }
    let body: unknown;
    try {
      body = await this.store.run(ctx, () => lastValueFrom(next.handle(), { defaultValue: undefined }));
    } catch (err) {
      await this.failed(ctx, err, request);
      throw err;
    }
    this.store.finished(ctx);
    if (ctx.recorded) return body;
    // stored now, so that a retry replays instead of acting again (these
    // routes wrote nothing: if the database fails now, the key is given back)
    await this.store.complete(ctx, status, body ?? null).catch(async (err: unknown) => {
      await this.store.release(ctx);
      throw err;
    });
    if (options.effects === 'transactional') {
      // a route that forgot to store its response with its effects: fail loudly (its tests fail)
      throw new ResponseNotRecordedError(`${request.method} ${request.routeOptions?.url ?? request.url}`);
    }
    return body;
  }

  /** Claims the key; a duplicate of a running request waits up to `waitMs` for it to finish. */
  private async claim(scope: string, key: string, hash: Buffer): Promise<Claim> {
    let claim = await this.store.claim(scope, key, hash);
    const deadline = Date.now() + this.options.waitMs;
    for (let delay = 10; claim.kind === 'in-progress' && Date.now() < deadline; delay = Math.min(delay * 2, 200)) {
      await new Promise((r) => setTimeout(r, delay));
      // claim again, not just look: the first request's process may have died meanwhile
      claim = await this.store.claim(scope, key, hash);
    }
    return claim;
  }

  /** The claimed request failed: a business refusal is stored for replay; bad input and faults give the key back. */
  private async failed(ctx: IdempotencyContext, err: unknown, request: FastifyRequest): Promise<void> {
    const error = this.errors.toBody(err, request);
    const refusal = error.statusCode >= 400 && error.statusCode < 500 && error.code !== 'VALIDATION_FAILED' && error.code !== 'IDEMPOTENCY_IN_PROGRESS';
    try {
      if (refusal) {
        // stored for replay; if the database will not take it now, the key is given back instead
        await this.store.complete(ctx, error.statusCode, error).catch(() => this.store.release(ctx));
      } else {
        await this.store.release(ctx);
      }
    } finally {
      this.store.finished(ctx);
    }
  }
}
