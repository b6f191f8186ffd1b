import { describe, expect, it } from '@jest/globals';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { canonicalRequest, signaturesMatch, signDeviceRequest } from './device-signature.js';
import { SecretBox } from './secret-box.js';

describe('device request signatures (api.md)', () => {
  it('signs METHOD, path with query, timestamp and the body hash, as a reader would', () => {
    const body = '{"taps":[]}';
    const expected = createHmac('sha256', 's3cret')
      .update(`POST\n/v1/transit/taps?x=1\n1700000000000\n${createHash('sha256').update(body).digest('hex')}`)
      .digest('hex');
    expect(signDeviceRequest('s3cret', 'post', '/v1/transit/taps?x=1', '1700000000000', body)).toBe(expected);
    expect(canonicalRequest('GET', '/a', '1', '')).toBe(
      'GET\n/a\n1\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('compares only well-formed lowercase hex of the right length', () => {
    const sig = signDeviceRequest('k', 'GET', '/', '1', '');
    expect(signaturesMatch(sig, sig)).toBe(true);
    expect(signaturesMatch(sig, sig.toUpperCase())).toBe(false);
    expect(signaturesMatch(sig, sig.slice(0, 63))).toBe(false);
    expect(signaturesMatch(sig, sig.slice(0, 63) + (sig[63] === '0' ? '1' : '0'))).toBe(false);
  });
});

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32).toString('base64'));

  it('round-trips and never stores the plaintext', () => {
    const sealed = box.seal('device-secret', 'device:1');
    expect(sealed.includes(Buffer.from('device-secret'))).toBe(false);
    expect(box.open(sealed, 'device:1')).toBe('device-secret');
  });

  it('refuses a ciphertext moved to another row or tampered with', () => {
    const sealed = box.seal('device-secret', 'device:1');
    expect(() => box.open(sealed, 'device:2')).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => box.open(tampered, 'device:1')).toThrow();
  });

  it('refuses a key of the wrong size', () => {
    expect(() => new SecretBox(randomBytes(16).toString('base64'))).toThrow();
  });
});
