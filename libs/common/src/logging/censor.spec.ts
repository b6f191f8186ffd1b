import { describe, expect, it } from '@jest/globals';
import { censorSecrets } from './censor.js';

describe('censorSecrets', () => {
  it('censors secret keys at any depth, case-insensitively, without touching the input', () => {
    const input = {
      user: { phone: '+8613800000000', password: 'p', Profile: { IdNumber: '11010519491231002X' } },
      req: { headers: { Authorization: 'Bearer t', 'x-device-signature': 'ab', host: 'h' } },
      list: [{ refreshToken: 'r' }, { ok: 1 }],
    };
    const out = censorSecrets(input);
    expect(out).toEqual({
      user: { phone: '+8613800000000', password: '[REDACTED]', Profile: { IdNumber: '[REDACTED]' } },
      req: { headers: { Authorization: '[REDACTED]', 'x-device-signature': '[REDACTED]', host: 'h' } },
      list: [{ refreshToken: '[REDACTED]' }, { ok: 1 }],
    });
    expect(input.user.password).toBe('p');
  });

  it('returns the same object when there is nothing to censor', () => {
    const input = { reqId: 'x', req: { method: 'GET', url: '/a' }, res: { statusCode: 200 } };
    expect(censorSecrets(input)).toBe(input);
  });

  it('leaves errors and other class instances to their serializers', () => {
    const err = Object.assign(new Error('boom'), { password: 'p' });
    const out = censorSecrets({ err });
    expect(out.err).toBe(err);
  });

  it('censors class instances such as validated DTOs, and what toJSON exposes', () => {
    class LoginDto {
      phone = '+8613800000000';
      password = 'hunter2';
    }
    class Wrapped {
      toJSON() {
        return { secret: 's', shown: 1 };
      }
    }
    expect(censorSecrets({ body: new LoginDto(), w: new Wrapped() })).toEqual({
      body: { phone: '+8613800000000', password: '[REDACTED]' },
      w: { secret: '[REDACTED]', shown: 1 },
    });
  });

  it('keeps null and undefined secrets as they are (nothing to hide)', () => {
    expect(censorSecrets({ password: null })).toEqual({ password: null });
  });

  it('truncates data nested deeper than it walks instead of passing it on', () => {
    let deep: Record<string, unknown> = { password: 'p' };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    const text = JSON.stringify(censorSecrets(deep));
    expect(text).not.toContain('"p"');
    expect(text).toContain('[TRUNCATED]');
  });

  it('matches snake_case and kebab-case spellings of secret keys', () => {
    const out = censorSecrets({ refresh_token: 'r', access_token: 'a', client_secret: 'c', id_number: 'i', 'proxy-authorization': 'x', detail: 'Key (phone)=(+86138) exists' });
    expect(Object.values(out)).toEqual(['[REDACTED]', '[REDACTED]', '[REDACTED]', '[REDACTED]', '[REDACTED]', '[REDACTED]']);
  });
});
