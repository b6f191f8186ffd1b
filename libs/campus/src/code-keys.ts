import { Injectable } from '@nestjs/common';
import { generatePaycodeSigner, paycodeJwk, PaycodeKeySet } from '@app/paycode';
import type { Jwks, PaycodeSigner } from '@app/paycode';

/**
 * What campus needs of the shared paycode signing keys: the current signer
 * (mints card codes) and the key set (verifies them; published as the JWKS
 * of GET /v1/campus/keys).
 */
export abstract class CampusCodeKeys {
  abstract signer(): Promise<PaycodeSigner>;
  abstract jwks(): Promise<Jwks>;
  abstract keySet(): Promise<PaycodeKeySet>;
}

/**
 * Stand-in until the shared module @app/paycode-keys (keys encrypted at rest,
 * rotation) is merged: one key made at start, held in memory only, never
 * stored. Codes are 60 s lived, so a restart costs codes in flight only;
 * POS terminals must refresh the JWKS after a restart.
 */
@Injectable()
export class EphemeralCampusCodeKeys extends CampusCodeKeys {
  private readonly current = generatePaycodeSigner();
  private readonly set: Jwks = { keys: [paycodeJwk(this.current.privateKey, this.current.kid)] };
  private readonly keys = new PaycodeKeySet(this.set);

  signer(): Promise<PaycodeSigner> {
    return Promise.resolve(this.current);
  }

  jwks(): Promise<Jwks> {
    return Promise.resolve(this.set);
  }

  keySet(): Promise<PaycodeKeySet> {
    return Promise.resolve(this.keys);
  }
}
