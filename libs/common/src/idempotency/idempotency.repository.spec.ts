import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { IdempotencyRepository } from './idempotency.repository.js';

/** A DataSource whose pool answers each claim statement with the next of `answers` (an error to throw, or the claims to answer). */
function fakeDataSource(answers: (Error | 'claimed')[]) {
  const sent: unknown[][] = [];
  const query = async (config: { values: unknown[] }) => {
    sent.push(config.values);
    const answer = answers.shift();
    if (answer === undefined) throw new Error('no answer left');
    if (answer instanceof Error) throw answer;
    const claims = config.values[3] as string[];
    return { rows: claims.map((claim, i) => ({ ord: i + 1, claim })) };
  };
  const dataSource = { driver: { master: { query } }, logger: { logQuery: () => undefined } } as unknown as DataSource;
  return { dataSource, sent };
}
const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
const owner = { pid: 1, started: '2026-12-01T00:00:00Z' };

describe('IdempotencyRepository.claim', () => {
  it("sends a claim again when its shared statement was a deadlock's victim", async () => {
    const { dataSource, sent } = fakeDataSource([pgError('40P01'), 'claimed']);
    expect(await new IdempotencyRepository(dataSource).claim('user:1', 'k1', Buffer.from('h'), 'c1', owner)).toBe(true);
    expect(sent).toHaveLength(2);
  });

  it('gives up after three deadlocks, and never retries other errors', async () => {
    const deadlocked = fakeDataSource([pgError('40P01'), pgError('40P01'), pgError('40P01'), 'claimed']);
    await expect(new IdempotencyRepository(deadlocked.dataSource).claim('user:1', 'k1', Buffer.from('h'), 'c1', owner)).rejects.toMatchObject({ code: '40P01' });
    expect(deadlocked.sent).toHaveLength(3);
    const broken = fakeDataSource([pgError('53300'), 'claimed']);
    await expect(new IdempotencyRepository(broken.dataSource).claim('user:1', 'k1', Buffer.from('h'), 'c1', owner)).rejects.toMatchObject({ code: '53300' });
    expect(broken.sent).toHaveLength(1);
  });
});
