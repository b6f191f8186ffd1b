import { createHash, createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MAX_GRACE_SECONDS, PaycodeKeySet, verifyCode, type Jwks } from '@app/paycode';
import { DurableQueue, type QueuedTap } from './queue.js';

export interface ReaderOptions {
  server: string;
  deviceId: string;
  deviceSecret: string;
  routeCode: string;
  vehicleId?: string;
  stopIndex?: number;
  direction?: 'IN' | 'OUT';
  stateDir: string;
  batchSize: number;
  /** A fetch that may fail (the network is down); tests and the CLI pass the global one. */
  fetch?: typeof fetch;
}

export interface Decision {
  decision: 'BOARD' | 'REFUSE';
  reason?: string;
  tapId?: string;
  /** How long the local decision took, in milliseconds (verification and the durable append). */
  ms: number;
}

/** A scanned line: a code, or a JSON object {code, stopIndex?, direction?} (a tap-out reader at another stop). */
export interface Scan {
  code: string;
  stopIndex?: number;
  direction?: 'IN' | 'OUT';
}

export function parseScan(line: string): Scan | undefined {
  const text = line.trim();
  if (!text) return undefined;
  if (text.startsWith('{')) {
    try {
      const v = JSON.parse(text) as Scan;
      if (typeof v.code === 'string') return v;
    } catch {
      // not JSON: taken as a code below
    }
  }
  return { code: text };
}

/**
 * A bus reader: verifies each scanned ride code offline (libs/paycode, the
 * cached JWKS and blocklist), answers at once, queues accepted taps durably
 * and uploads them in signed batches whenever the server answers.
 */
export class Reader {
  private keys: PaycodeKeySet | undefined;
  private jwks: Jwks | undefined;
  private blocked = new Set<string>();
  private blocklistVersion = 0;
  readonly queue: DurableQueue;
  private readonly fetch: typeof fetch;

  constructor(private readonly o: ReaderOptions) {
    mkdirSync(o.stateDir, { recursive: true });
    this.queue = new DurableQueue(join(o.stateDir, 'queue'));
    this.fetch = o.fetch ?? fetch;
    this.loadCache();
  }

  get ready(): boolean {
    return this.keys !== undefined;
  }

  private cachePath(name: string): string {
    return join(this.o.stateDir, name);
  }

  private loadCache(): void {
    const keys = this.cachePath('jwks.json');
    if (existsSync(keys)) this.setJwks(JSON.parse(readFileSync(keys, 'utf8')) as Jwks);
    const bl = this.cachePath('blocklist.json');
    if (existsSync(bl)) {
      const cached = JSON.parse(readFileSync(bl, 'utf8')) as { version: number; blocked: string[] };
      this.blocklistVersion = cached.version;
      this.blocked = new Set(cached.blocked);
    }
  }

  private saveCache(name: string, value: unknown): void {
    const path = this.cachePath(name);
    writeFileSync(`${path}.tmp`, JSON.stringify(value));
    renameSync(`${path}.tmp`, path);
  }

  private setJwks(jwks: Jwks): void {
    this.keys = new PaycodeKeySet(jwks);
    this.jwks = jwks;
  }

  /** The local decision for one scan: verify offline, refuse a code this reader already took, queue durably, answer. */
  scan(scan: Scan, now = new Date()): Decision {
    const t0 = performance.now();
    if (!this.keys) return { decision: 'REFUSE', reason: 'NO_KEYS', ms: performance.now() - t0 };
    const v = verifyCode(scan.code, this.keys, { now, use: 'ride', blocklist: this.blocked, graceSeconds: MAX_GRACE_SECONDS });
    if (!v.ok) return { decision: 'REFUSE', reason: v.reason, ms: performance.now() - t0 };
    if (this.queue.usedKeys.has(v.singleUseKey)) return { decision: 'REFUSE', reason: 'CODE_ALREADY_USED', ms: performance.now() - t0 };
    const tap: QueuedTap = { tapId: randomUUID(), code: scan.code, scannedAt: now.toISOString(), routeCode: this.o.routeCode };
    if (this.o.vehicleId) tap.vehicleId = this.o.vehicleId;
    const stop = scan.stopIndex ?? this.o.stopIndex;
    if (stop !== undefined) tap.stopIndex = stop;
    const direction = scan.direction ?? this.o.direction;
    if (direction) tap.direction = direction;
    this.queue.push(tap, v.singleUseKey);
    return { decision: 'BOARD', tapId: tap.tapId, ms: performance.now() - t0 };
  }

  private async signed(method: string, path: string, body?: unknown): Promise<Response> {
    const raw = body === undefined ? '' : JSON.stringify(body);
    const ts = String(Date.now());
    const hash = createHash('sha256').update(raw).digest('hex');
    const signature = createHmac('sha256', this.o.deviceSecret).update(`${method}\n${path}\n${ts}\n${hash}`).digest('hex');
    return this.fetch(this.o.server + path, {
      method,
      headers: {
        'x-device-id': this.o.deviceId,
        'x-device-timestamp': ts,
        'x-device-signature': signature,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : raw,
      signal: AbortSignal.timeout(15_000),
    });
  }

  /** Fetches the JWKS and the blocklist changes; keeps the cache when offline. Throws when the server is unreachable. */
  async refresh(): Promise<void> {
    const keys = await this.fetch(`${this.o.server}/v1/transit/keys`, { signal: AbortSignal.timeout(10_000) });
    if (!keys.ok) throw new Error(`keys: HTTP ${keys.status}`);
    const jwks = (await keys.json()) as Jwks;
    if (JSON.stringify(jwks) !== JSON.stringify(this.jwks)) {
      this.setJwks(jwks);
      this.saveCache('jwks.json', jwks);
    }
    const path = `/v1/transit/blocklist${this.blocklistVersion ? `?since=${this.blocklistVersion}` : ''}`;
    const res = await this.signed('GET', path);
    if (!res.ok) throw new Error(`blocklist: HTTP ${res.status} ${await res.text()}`);
    const bl = (await res.json()) as { version: number; full: boolean; entries: { sub: string; blocked: boolean }[] };
    if (bl.full) this.blocked = new Set();
    for (const e of bl.entries) {
      if (e.blocked) this.blocked.add(e.sub);
      else this.blocked.delete(e.sub);
    }
    this.blocklistVersion = bl.version;
    this.saveCache('blocklist.json', { version: bl.version, blocked: [...this.blocked] });
  }

  /** Uploads queued taps in signed batches until the queue is empty; answers the results. Throws when the server is unreachable. */
  async upload(onResult?: (r: { tapId: string; status: string; reason?: string }) => void): Promise<number> {
    let sent = 0;
    while (this.queue.size > 0) {
      const batch = this.queue.peek(this.o.batchSize);
      const res = await this.signed('POST', '/v1/transit/taps', { taps: batch });
      if (!res.ok) throw new Error(`taps: HTTP ${res.status} ${await res.text()}`);
      const { results } = (await res.json()) as { results: { tapId: string; status: string; reason?: string }[] };
      this.queue.ack(results.map((r) => r.tapId));
      for (const r of results) onResult?.(r);
      sent += batch.length;
    }
    return sent;
  }
}
