import { describe, expect, it } from '@jest/globals';
import { onUnhandledRejection } from './process-guards.js';

const pgError = (code: string) => Object.assign(new Error('terminating connection due to administrator command'), { code, severity: 'FATAL' });

describe('onUnhandledRejection', () => {
  it('logs a rejection of a killed database connection and lets the process go on', () => {
    const warnings: string[] = [];
    expect(() => onUnhandledRejection(pgError('57P01'), (m) => warnings.push(m))).not.toThrow();
    expect(warnings).toEqual([expect.stringContaining('terminating connection due to administrator command')]);
  });

  it('throws anything else again, so the process stops as Node would', () => {
    const bug = new TypeError('x is undefined');
    expect(() => onUnhandledRejection(bug, () => undefined)).toThrow(bug);
    expect(() => onUnhandledRejection(pgError('23505'), () => undefined)).toThrow('terminating connection');
  });
});
