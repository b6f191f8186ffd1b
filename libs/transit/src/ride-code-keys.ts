import { Injectable } from '@nestjs/common';
import { generatePaycodeSigner, type Jwks, paycodeJwk, type PaycodeSigner } from '@app/paycode';

/**
 * Where transit gets the key that signs ride codes and the JWKS readers
 * verify them with. The platform's shared signing-key module (@app/paycode-keys:
 * keys encrypted at rest, rotation) provides it; until that module is merged,
 * ProcessRideCodeKeys stands in.
 */
export interface RideCodeKeys {
  /** The key new codes are signed with. */
  signer(): Promise<PaycodeSigner>;
  /** Every key whose codes may still be live. */
  jwks(): Promise<Jwks>;
}

export const RIDE_CODE_KEYS = Symbol('RIDE_CODE_KEYS');

/**
 * Stand-in until @app/paycode-keys lands: one P-256 key made when the
 * process starts, kept in memory only (never written anywhere). Codes from
 * one process are verifiable by readers that fetched this process's JWKS;
 * a restart invalidates codes in flight (at most 90 s of them).
 */
@Injectable()
export class ProcessRideCodeKeys implements RideCodeKeys {
  private readonly key = generatePaycodeSigner();

  async signer(): Promise<PaycodeSigner> {
    return this.key;
  }

  async jwks(): Promise<Jwks> {
    return { keys: [paycodeJwk(this.key.privateKey, this.key.kid)] };
  }
}
