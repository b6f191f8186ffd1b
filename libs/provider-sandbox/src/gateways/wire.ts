import type { FastifyRequest } from 'fastify';

/** Minor units -> "12.34" (yuan, as Alipay and most Chinese bill files write amounts). */
export function yuan(minor: bigint): string {
  return `${minor / 100n}.${(minor % 100n).toString().padStart(2, '0')}`;
}

/** "12.34" -> 1234n; refuses more than two places or anything not a plain decimal. */
export function parseYuan(text: string): bigint {
  const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) throw new Error(`bad amount ${text}`);
  return BigInt(m[1]) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
}

/** This server's origin as the caller reached it (for download URLs the gateway hands out). */
export function origin(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? req.hostname}`;
}

/** A signature altered after signing (one character), for forged-notification tests. */
export function corrupt(signature: string): string {
  const c = signature[5] === 'A' ? 'B' : 'A';
  return signature.slice(0, 5) + c + signature.slice(6);
}

/**
 * The request path as the real gateway would see it: a gateway mounted at
 * `/sandbox/<provider>` serves what the provider serves at its root, and
 * signatures cover the path relative to that mount (what an SDK pointed at
 * `http://host/sandbox/<provider>` as its base URL signs).
 */
export function relativeToMount(url: string, mount: string): string {
  return url.startsWith(mount + '/') || url.startsWith(mount + '?') ? url.slice(mount.length) : url;
}
