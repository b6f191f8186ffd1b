import { PaycodeKeySet, type Jwks, type PaycodeSigner } from '@app/paycode';

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

/**
 * The key set readers had at each scan time, from keysInForceSince(): one
 * PaycodeKeySet per distinct set of keys (a batch's scans mostly share one).
 */
export function keySetsAt(keys: { jwk: Jwks['keys'][number]; retireAfter: Date | null }[]): (at: Date) => PaycodeKeySet {
  const sets = new Map<string, PaycodeKeySet>();
  return (at) => {
    const live = keys.filter((k) => k.retireAfter === null || k.retireAfter > at);
    const id = live.map((k) => (k.jwk as { kid?: string }).kid).join(',');
    let set = sets.get(id);
    if (!set) sets.set(id, (set = new PaycodeKeySet({ keys: live.map((k) => k.jwk) })));
    return set;
  };
}

export const RIDE_CODE_KEYS = Symbol('RIDE_CODE_KEYS');
