/**
 * Each provider's merchant credentials, as the provider's merchant console
 * issues them. `gateway` is the provider's base URL; a path starting with
 * "/" is on this platform's own origin (the sandbox gateways).
 * PAYMENT_PROVIDERS=live reads them from PAYMENT_CREDENTIALS_FILE; the
 * sandbox generates them on first start.
 */
export interface AlipayCredentials {
  gateway: string;
  appId: string;
  /** Our merchant PID (2088..., the `seller_id` of every notification for our trades; Alipay advises checking it). */
  sellerId: string;
  /** Our application private key (PEM, PKCS#8). */
  privateKey: string;
  /** Alipay's public key (PEM) - not our application public key. */
  alipayPublicKey: string;
}

export interface WechatPayCredentials {
  gateway: string;
  mchId: string;
  appId: string;
  /** Serial number of our merchant API certificate (in the Authorization header). */
  merchantSerialNo: string;
  privateKey: string;
  /** The 32-character APIv3 key (AEAD_AES_256_GCM of notification resources). */
  apiV3Key: string;
  /** WeChat Pay's keys by serial: platform certificate serials or `PUB_KEY_ID_...` public key ids. */
  platformPublicKeys: { serial: string; publicKey: string }[];
}

export interface UnionPayCredentials {
  gateway: string;
  merId: string;
  /** Id of our signing certificate (certId field). */
  certId: string;
  privateKey: string;
  /** UnionPay's root certificate (PEM, acp_root.cer): the chain of every signPubKeyCert must end here. */
  rootCert: string;
  /** UnionPay's middle certificate (PEM, acp_middle.cer): the issuer of every signPubKeyCert. */
  middleCert: string;
}

export interface AlipayHkCredentials {
  gateway: string;
  clientId: string;
  keyVersion: string;
  privateKey: string;
  alipayPublicKey: string;
}

export interface ProviderCredentials {
  ALIPAY?: AlipayCredentials;
  WECHAT_PAY?: WechatPayCredentials;
  UNIONPAY?: UnionPayCredentials;
  ALIPAY_HK?: AlipayHkCredentials;
}

/** Injection token: a function loading the credentials of every configured provider. */
export const PROVIDER_CREDENTIALS = Symbol('PROVIDER_CREDENTIALS');

/** Refuses credentials missing a field, naming it (a start-up error, not a runtime 500). */
export function requireFields<T extends object>(provider: string, value: unknown, fields: (keyof T)[]): T {
  if (!value || typeof value !== 'object') throw new Error(`${provider}: no credentials`);
  for (const f of fields) {
    const v = (value as Record<string, unknown>)[f as string];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) {
      throw new Error(`${provider}: credentials lack ${String(f)}`);
    }
  }
  return value as T;
}
