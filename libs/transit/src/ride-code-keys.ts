import type { Jwks, PaycodeSigner } from '@app/paycode';

/**
 * Where transit gets the key that signs ride codes and the JWKS readers
 * verify them with: the platform's shared signing keys (@app/paycode-keys,
 * PaycodeKeysService: sealed at rest, rotated with old keys still published).
 */
export interface RideCodeKeys {
  /** The key new codes are signed with. */
  signer(): Promise<PaycodeSigner>;
  /** Every key whose codes may still be live. */
  jwks(): Promise<Jwks>;
  /** Every key in the JWKS at some time since `since`, and when its publish time ends (null: current). */
  keysInForceSince(since: Date): Promise<{ jwk: Jwks['keys'][number]; retireAfter: Date | null }[]>;
}

export const RIDE_CODE_KEYS = Symbol('RIDE_CODE_KEYS');
