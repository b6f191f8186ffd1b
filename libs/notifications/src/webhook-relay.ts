import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isUnavailableError } from '@app/common';
import { JobsService } from '@app/jobs';
import { NotificationsConfig } from './notifications.config.js';
import { OrganizationWebhooks } from './organization-webhooks.js';
import { WebhooksRepository } from './webhooks.repository.js';

/** Deliveries claimed per round. */
const BATCH = 20;
/** How long a claimed delivery is left to its relay (well above one attempt's 10 s timeout). */
const LEASE_SECONDS = 60;

/**
 * The webhook outbox's relay, in every process that runs jobs: every
 * WEBHOOK_RELAY_INTERVAL_MS it claims the due deliveries (SKIP LOCKED, so
 * any number of processes share them, each attempted by one) and attempts
 * them in parallel, outside any transaction; a round that found a full
 * batch goes again at once.
 */
@Injectable()
export class WebhookRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('BillerWebhooks');
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: WebhooksRepository,
    private readonly webhooks: OrganizationWebhooks,
    private readonly jobs: JobsService,
    @Inject(NotificationsConfig) private readonly config: NotificationsConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.jobs.runsWorkers) return;
    this.timer = setInterval(() => this.tick(), this.config.WEBHOOK_RELAY_INTERVAL_MS);
    this.timer.unref();
  }

  private tick(): void {
    if (this.round || this.stopped) return;
    this.round = this.relay()
      .then(() => undefined)
      .catch((err: unknown) =>
        // a database restarting, shutting down (Ctrl-C reaches PostgreSQL too) or killing the
        // connection is not a fault of the relay: the next round claims the same deliveries
        isUnavailableError(err)
          ? this.logger.warn(`webhook relay round could not reach the database (${(err as Error).message}); tried again next round`)
          : this.logger.error({ err }, 'webhook relay round failed; tried again next round'),
      )
      .finally(() => (this.round = undefined));
  }

  /** Claims and attempts due deliveries until a round finds fewer than a batch; answers how many were attempted. */
  async relay(): Promise<number> {
    let attempted = 0;
    for (;;) {
      const claimed = await this.repository.claimDue(this.dataSource.manager, BATCH, LEASE_SECONDS);
      await Promise.all(
        claimed.map(async (d) => {
          const r = await this.webhooks.attempt(d);
          if (r.final) this.logger.error(`webhook ${d.id} to ${r.url} never acknowledged; given up`);
          else if (!r.ok) this.logger.warn(`webhook ${d.id} to ${r.url} not acknowledged (${r.error ?? r.statusCode}); retried with backoff`);
        }),
      );
      attempted += claimed.length;
      if (claimed.length < BATCH || this.stopped) return attempted;
    }
  }

  /** Before the database closes: no new round; the one running ends its attempts. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.round;
  }
}
