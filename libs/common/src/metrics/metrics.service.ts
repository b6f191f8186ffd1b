import { Injectable } from '@nestjs/common';
import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { RouteDurationHistogram } from './route-durations.js';

/**
 * One Prometheus registry per application instance (so that several apps in
 * one process, as in tests, do not collide): default process metrics plus the
 * HTTP request-duration histogram labelled by route template, method, status.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration: RouteDurationHistogram;
  /** Requests served by each statement of a group commit (see GroupCommit in libs/common). */
  readonly groupCommitBatch: Histogram<'statement'>;
  /** Statements of a group commit by how their items ran: as one set, one by one, or alone (one item). */
  readonly groupCommitPath: Counter<'statement' | 'path'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new RouteDurationHistogram(
      'http_request_duration_seconds',
      'HTTP request duration in seconds, by route template, method and status code',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      this.registry,
    );
    this.groupCommitBatch = new Histogram({
      name: 'db_group_commit_batch_size',
      help: 'Requests served by one statement of a group commit, by statement',
      labelNames: ['statement'],
      buckets: [1, 2, 4, 8, 16, 24, 32],
      registers: [this.registry],
    });
    this.groupCommitPath = new Counter({
      name: 'db_group_commit_path_total',
      help: 'Statements of a group commit by how their items ran: set (the batch as one set), each (each item on its own, as after a refusal in the batch), alone (a statement of one item)',
      labelNames: ['statement', 'path'],
      registers: [this.registry],
    });
  }

  /**
   * Observes every response; unmatched paths share one label to bound cardinality.
   * Each route gets its own onResponse hook holding its recorder (its template
   * bound once), added as the route is registered: `request.routeOptions`
   * builds a new object on every read, a cost each request would pay. Requests
   * no route matched (404s) are observed by a global hook that does nothing else.
   */
  instrument(fastify: FastifyInstance): void {
    fastify.addHook('onRoute', (route) => {
      const record = this.httpDuration.recorder(route.url ?? route.path);
      const onResponse: onResponseHookHandler = (request, reply, done) => {
        record(request.method, reply.statusCode, reply.elapsedTime / 1000);
        done();
      };
      route.onResponse = [route.onResponse ?? []].flat().concat(onResponse);
    });
    const unmatched = this.httpDuration.recorder('UNMATCHED');
    fastify.addHook('onResponse', (request, reply, done) => {
      if (request.is404) unmatched(request.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }
}
