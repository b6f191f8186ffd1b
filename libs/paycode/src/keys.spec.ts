import { describe, expect, it } from '@jest/globals';
import { createPublicKey } from 'node:crypto';
import { ecPublicJwk, generateP256KeyPair, importEcPublicJwk, importEcPublicJwkAs } from './keys.js';

const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ format: 'der', type: 'spki' }).toString('hex');

describe('importEcPublicJwk, both routes (SPKI DER of the point, or the JWK)', () => {
  const { publicKey } = generateP256KeyPair();
  const jwk = ecPublicJwk(publicKey);

  it.each(['der', 'jwk'] as const)('%s: imports the same public key', (route) => {
    const imported = importEcPublicJwkAs(jwk, route);
    expect(imported.type).toBe('public');
    expect(imported.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(spki(imported)).toBe(spki(publicKey));
  });

  it.each(['der', 'jwk'] as const)('%s: refuses a point off the curve and a coordinate of the wrong length', (route) => {
    const offCurve = { ...jwk, y: Buffer.alloc(32, 1).toString('base64url') };
    expect(() => importEcPublicJwkAs(offCurve, route)).toThrow();
    const short = { ...jwk, x: Buffer.alloc(31, 7).toString('base64url') };
    expect(() => importEcPublicJwkAs(short, route)).toThrow();
  });

  it("takes this runtime's route and gives the same key", () => {
    expect(spki(importEcPublicJwk(jwk))).toBe(spki(publicKey));
  });
});
