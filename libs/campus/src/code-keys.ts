import { Injectable } from '@nestjs/common';
import { PaycodeKeySet } from '@app/paycode';
import type { Jwks, PaycodeSigner } from '@app/paycode';
import { keySetsAt, PaycodeKeysService } from '@app/paycode-keys';

/** A key set is rebuilt from the JWKS at most this often (a code signed by a key not yet seen forces a refresh). */
const KEY_SET_CACHE_MS = 5_000;

/**
 * What campus needs of the shared pay-code signing keys (@app/paycode-keys,
 * schema `paycode`, shared with transit): the current signer (mints card
 * codes) and the key set (verifies them; published as GET /v1/campus/keys).
 */
@Injectable()
export class CampusCodeKeys {
  private cached?: { json: string; set: PaycodeKeySet; at: number };

  constructor(private readonly keys: PaycodeKeysService) {}

  signer(): Promise<PaycodeSigner> {
    return this.keys.signer();
  }

  async jwks(): Promise<Jwks> {
    return this.keys.jwks();
  }

  /**
   * The key sets POS terminals had at each time since `since` (the current
   * key and those still published then): for offline charges uploaded after
   * their key's publish time ended. Read once per upload that needs it.
   */
  async keySetsSince(since: Date): Promise<(at: Date) => PaycodeKeySet> {
    return keySetsAt(await this.keys.keysInForceSince(since));
  }

  /** The verifying key set, cached briefly; `refresh` re-reads the JWKS (a kid not in the cached set). */
  async keySet(refresh = false): Promise<PaycodeKeySet> {
    if (!refresh && this.cached && Date.now() - this.cached.at < KEY_SET_CACHE_MS) return this.cached.set;
    const jwks = await this.keys.jwks();
    const json = JSON.stringify(jwks);
    const set = this.cached?.json === json ? this.cached.set : new PaycodeKeySet(jwks);
    this.cached = { json, set, at: Date.now() };
    return set;
  }
}
