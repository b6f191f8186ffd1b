import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { JobsService } from '@app/jobs';
import type { NotificationsConfig } from './notifications.config.js';
import type { OrganizationWebhooks } from './organization-webhooks.js';
import { WebhookRelay } from './webhook-relay.js';
import type { WebhooksRepository } from './webhooks.repository.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });

/** Runs the relay's own timer until one round has failed with `err`; answers what it logged, by level. */
async function loggedAfterFailedRound(err: Error): Promise<{ warn: string[]; error: string[] }> {
  const repository = { claimDue: () => Promise.reject(err) } as unknown as WebhooksRepository;
  const relay = new WebhookRelay(
    {} as DataSource,
    repository,
    {} as OrganizationWebhooks,
    { runsWorkers: true } as JobsService,
    { WEBHOOK_RELAY_INTERVAL_MS: 5 } as NotificationsConfig,
  );
  const logged = { warn: [] as string[], error: [] as string[] };
  const logger = (relay as unknown as { logger: Record<'warn' | 'error', (first: unknown, message?: string) => void> }).logger;
  logger.warn = (message) => logged.warn.push(String(message));
  logger.error = (fields, message) => logged.error.push(`${(fields as { err: Error }).err.message}: ${message}`);
  relay.onApplicationBootstrap();
  try {
    for (let i = 0; i < 200 && logged.warn.length + logged.error.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  } finally {
    await relay.beforeApplicationShutdown();
  }
  return logged;
}

describe('WebhookRelay rounds that fail', () => {
  it('warns, not errs, when the database is restarting or killed the connection (the next round tries again)', async () => {
    const logged = await loggedAfterFailedRound(pgError('57P01', 'terminating connection due to administrator command'));
    expect(logged.error).toEqual([]);
    expect(logged.warn[0]).toContain('could not reach the database (terminating connection due to administrator command)');
  });

  it('logs any other failure as an error', async () => {
    const logged = await loggedAfterFailedRound(pgError('42P01', 'relation "notifications.webhook_deliveries" does not exist'));
    expect(logged.warn).toEqual([]);
    expect(logged.error[0]).toContain('relation "notifications.webhook_deliveries" does not exist');
  });
});
