import { describe, expect, it } from '@jest/globals';
import { isUnavailableError } from './unavailable.js';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const typeormWrapped = (driverError: unknown) => Object.assign(new Error('query failed'), { name: 'QueryFailedError', driverError });

describe('isUnavailableError', () => {
  it.each([
    ['terminated by an administrator', pgError('57P01')],
    ['cannot connect now (starting up)', pgError('57P03')],
    ['connection failure', pgError('08006')],
    ['connection does not exist', pgError('08003')],
    ['too many connections', pgError('53300')],
    ['statement timeout', pgError('57014')],
    ['serialization failure left after retries', pgError('40001')],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['a broken client', new Error('Client has encountered a connection error and is not queryable')],
    ['pool exhaustion', new Error('timeout exceeded when trying to connect')],
    ['a refused TCP connection', pgError('ECONNREFUSED')],
    ['57P01 inside a TypeORM QueryFailedError', typeormWrapped(pgError('57P01'))],
    ['a transaction whose connection was lost (TypeORM)', new Error('Database connection provided by a query runner was already released, cannot continue to use its querying methods anymore.')],
    ['a lost connection as a cause', new Error('outer', { cause: new Error('Connection terminated unexpectedly') })],
  ])('is true for %s', (_what, err) => {
    expect(isUnavailableError(err)).toBe(true);
  });

  it.each([
    ['a unique violation', typeormWrapped(pgError('23505'))],
    ['a bad value', typeormWrapped(pgError('22P02'))],
    ['a missing table (our bug)', typeormWrapped(pgError('42P01'))],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    ['nothing', undefined],
    ['a string', 'Connection terminated'],
  ])('is false for %s', (_what, err) => {
    expect(isUnavailableError(err)).toBe(false);
  });
});
