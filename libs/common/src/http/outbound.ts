import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Outgoing requests to addresses someone else chose (webhook targets):
 * every address the name resolves to is classified with ipaddr.js, and the
 * connection is pinned to the address that was checked, so a name cannot
 * resolve to a public address for the check and an internal one for the
 * connection (DNS rebinding).
 */

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses (dns.lookup by default; injectable for tests). */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** The IPv4 address an IPv6 address carries, for the forms that route to it (mapped, SIIT, NAT64 /96, 6to4). */
function embeddedIpv4(v6: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const b = v6.toByteArray();
  switch (v6.range()) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d (SIIT)
      return new ipaddr.IPv4(b.slice(12, 16));
    case 'rfc6052': // 64:ff9b::a.b.c.d (NAT64, well-known /96 prefix); 64:ff9b:1::/48 embeds by prefix length: not accepted
      return v6.match(ipaddr.IPv6.parse('64:ff9b::'), 96) ? new ipaddr.IPv4(b.slice(12, 16)) : undefined;
    case '6to4': // 2002:aabb:ccdd::/48
      return new ipaddr.IPv4(b.slice(2, 6));
    default:
      return undefined;
  }
}

/**
 * Why an address is not a public unicast one (loopback, private, link-local,
 * CGNAT, reserved, multicast, an IPv4 address of those kinds embedded in
 * IPv6, IPv4-compatible ::a.b.c.d, Teredo), or undefined when it is public.
 */
export function nonPublicAddress(text: string): string | undefined {
  const raw = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(raw)) return `${text} is not an IP address`;
  const parsed = ipaddr.parse(raw);
  if (parsed.kind() === 'ipv4') {
    const range = (parsed as ipaddr.IPv4).range();
    return range === 'unicast' ? undefined : `${text} is a ${range} address`;
  }
  const v6 = parsed as ipaddr.IPv6;
  const bytes = v6.toByteArray();
  // ::a.b.c.d (IPv4-compatible, deprecated by RFC 4291): ipaddr.js calls it unicast
  if (bytes.slice(0, 12).every((x) => x === 0)) return `${text} is an IPv4-compatible (::/96) address`;
  const range = v6.range();
  if (range === 'unicast') return undefined;
  const v4 = embeddedIpv4(v6);
  if (v4) {
    const inner = v4.range();
    return inner === 'unicast' ? undefined : `${text} embeds ${v4.toString()}, a ${inner} address (${range})`;
  }
  return `${text} is a ${range} address`;
}

/** The addresses a host stands for (itself when it is a literal), each classified. */
export async function resolveTarget(host: string, resolve: Resolver = systemResolver): Promise<{ addresses: ResolvedAddress[]; problem?: string }> {
  const bare = host.replace(/^\[|\]$/g, '');
  let addresses: ResolvedAddress[];
  if (ipaddr.isValid(bare)) addresses = [{ address: bare, family: ipaddr.parse(bare).kind() === 'ipv6' ? 6 : 4 }];
  else {
    try {
      addresses = await resolve(bare);
    } catch {
      return { addresses: [], problem: `host ${bare} does not resolve` };
    }
  }
  if (addresses.length === 0) return { addresses, problem: `host ${bare} does not resolve` };
  const problems = addresses.map((a) => nonPublicAddress(a.address)).filter((p): p is string => p !== undefined);
  return problems.length > 0 ? { addresses, problem: `host ${bare} is not a public address: ${problems.join('; ')}` } : { addresses };
}

export interface PinnedResponse {
  status: number;
  headers: IncomingHttpHeaders;
}

/**
 * POSTs to `url`, connecting to `pinned` (an address already checked)
 * instead of resolving the host again; TLS still verifies the URL's host
 * name. Redirects are not followed; the body of the answer is discarded.
 */
export function postPinned(url: URL, pinned: ResolvedAddress, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PinnedResponse> {
  const lookup: LookupFunction = (_host, options, callback) => {
    if (options.all) (callback as unknown as (err: null, addresses: ResolvedAddress[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup, timeout: timeoutMs, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
