import { createHash, createHmac, randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PaycodeKeySet, verifyCode } from '@app/paycode';
import type { Jwks } from '@app/paycode';

/** What GET /v1/campus/pos/config answers, cached on disk for offline work. */
export interface PosConfig {
  deviceId: string;
  merchantId: string;
  universityId: string;
  universityRef: string;
  codeGraceSeconds: number;
  jwks: Jwks;
}

export interface QueuedCharge {
  chargeId: string;
  code: string;
  amount: number;
  chargedAt: string;
}

export interface PosOptions {
  server: string;
  deviceId: string;
  secret: string;
  stateDir: string;
}

export type ScanOutcome =
  | { kind: 'CHARGED'; chargeId: string; cardBalanceAfter: number }
  | { kind: 'QUEUED'; chargeId: string }
  | { kind: 'REFUSED'; reason: string; status?: number };

/**
 * A campus POS terminal: scans card codes, charges online when the network
 * is there, and when it is not, verifies the code itself (signature with
 * the cached JWKS, `use: card`, its university as `aud`, expiry, single use
 * on this terminal), queues the charge durably (fsync'd JSON lines) and
 * uploads the queue later to POST /v1/campus/offline-charges.
 */
export class Pos {
  constructor(private readonly o: PosOptions) {
    mkdirSync(o.stateDir, { recursive: true });
  }

  private path(name: string): string {
    return join(this.o.stateDir, name);
  }

  /** api.md device auth: HMAC-SHA256(secret, METHOD \n PATH \n TIMESTAMP \n hex(SHA256(body))). */
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const raw = body === undefined ? '' : JSON.stringify(body);
    const timestamp = String(Date.now());
    const bodyHash = createHash('sha256').update(raw).digest('hex');
    const signature = createHmac('sha256', this.o.secret).update(`${method}\n${path}\n${timestamp}\n${bodyHash}`).digest('hex');
    const res = await fetch(this.o.server.replace(/\/$/, '') + path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        'x-device-id': this.o.deviceId,
        'x-device-timestamp': timestamp,
        'x-device-signature': signature,
        ...headers,
      },
      body: body === undefined ? undefined : raw,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  }

  /** Fetches and caches the merchant, university reference and JWKS (refresh whenever online). */
  async refreshConfig(): Promise<PosConfig> {
    const res = await this.request('GET', '/v1/campus/pos/config');
    if (res.status !== 200) throw new Error(`config: ${res.status} ${JSON.stringify(res.body)}`);
    this.writeAtomic('config.json', JSON.stringify(res.body, null, 2));
    return res.body as PosConfig;
  }

  config(): PosConfig {
    if (!existsSync(this.path('config.json'))) throw new Error('no cached config: run `pos config` once while online');
    return JSON.parse(readFileSync(this.path('config.json'), 'utf8')) as PosConfig;
  }

  /** Offline verification as api.md asks of a POS: a refusal reason, or undefined when the code may be taken. */
  verifyOffline(code: string, at: Date): string | undefined {
    const config = this.config();
    const result = verifyCode(code, PaycodeKeySet.from(config.jwks), { now: at, use: 'card', graceSeconds: config.codeGraceSeconds });
    if (!result.ok) return result.reason;
    if (result.kind !== 'online' || result.aud !== config.universityRef) return 'WRONG_UNIVERSITY';
    if (this.usedCodes().has(result.jti)) return 'CODE_ALREADY_USED';
    return undefined;
  }

  private usedCodes(): Set<string> {
    if (!existsSync(this.path('used-codes.txt'))) return new Set();
    return new Set(readFileSync(this.path('used-codes.txt'), 'utf8').split('\n').filter(Boolean));
  }

  /** Charges online; with no network (or `offline`), verifies locally and queues. */
  async scan(code: string, amount: number, options: { offline?: boolean; pin?: string } = {}): Promise<ScanOutcome> {
    if (!options.offline) {
      try {
        const res = await this.request('POST', '/v1/campus/charges', { code, amount, ...(options.pin ? { pin: options.pin } : {}) }, { 'idempotency-key': randomUUID() });
        if (res.status === 201) return { kind: 'CHARGED', chargeId: res.body.id as string, cardBalanceAfter: res.body.cardBalanceAfter as number };
        return { kind: 'REFUSED', reason: (res.body?.code as string) ?? String(res.status), status: res.status };
      } catch (err) {
        if (!isNetworkError(err)) throw err;
        // fall through: offline
      }
    }
    const now = new Date();
    const refusal = this.verifyOffline(code, now);
    if (refusal) return { kind: 'REFUSED', reason: refusal };
    const charge: QueuedCharge = { chargeId: randomUUID(), code, amount, chargedAt: now.toISOString() };
    const claims = JSON.parse(Buffer.from(code.split('.')[1], 'base64url').toString('utf8')) as { jti: string };
    this.appendDurably('used-codes.txt', `${claims.jti}\n`);
    this.appendDurably('queue.jsonl', `${JSON.stringify(charge)}\n`);
    return { kind: 'QUEUED', chargeId: charge.chargeId };
  }

  queue(): QueuedCharge[] {
    if (!existsSync(this.path('queue.jsonl'))) return [];
    return readFileSync(this.path('queue.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as QueuedCharge);
  }

  /**
   * Uploads the queue in batches of 500. Every answered charge (SUCCEEDED,
   * DUPLICATE: already taken, REJECTED: the merchant is told) leaves the
   * queue; rejected ones are kept in rejected.jsonl. A failed call leaves the
   * queue as it was (the next upload sends it again; DUPLICATE makes that safe).
   */
  async upload(): Promise<{ succeeded: number; duplicate: number; rejected: { chargeId: string; reason: string; amount: number }[] }> {
    const summary = { succeeded: 0, duplicate: 0, rejected: [] as { chargeId: string; reason: string; amount: number }[] };
    for (;;) {
      const pending = this.queue();
      if (!pending.length) return summary;
      const batch = pending.slice(0, 500);
      const res = await this.request('POST', '/v1/campus/offline-charges', { charges: batch });
      if (res.status !== 200) throw new Error(`upload: ${res.status} ${JSON.stringify(res.body)}`);
      const done = new Set<string>();
      for (const r of res.body.results as { chargeId: string; status: string; reason?: string }[]) {
        done.add(r.chargeId);
        if (r.status === 'SUCCEEDED') summary.succeeded++;
        else if (r.status === 'DUPLICATE') summary.duplicate++;
        else {
          const amount = batch.find((c) => c.chargeId === r.chargeId)?.amount ?? 0;
          summary.rejected.push({ chargeId: r.chargeId, reason: r.reason ?? 'REJECTED', amount });
          this.appendDurably('rejected.jsonl', `${JSON.stringify({ ...r, amount })}\n`);
        }
      }
      this.writeAtomic('queue.jsonl', this.queue().filter((c) => !done.has(c.chargeId)).map((c) => `${JSON.stringify(c)}\n`).join(''));
    }
  }

  private appendDurably(name: string, text: string): void {
    const fd = openSync(this.path(name), 'a');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  private writeAtomic(name: string, text: string): void {
    const tmp = this.path(`${name}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path(name));
  }
}

function isNetworkError(err: unknown): boolean {
  // by name: fetch's errors may come from another realm (instanceof fails there)
  const e = err as { name?: string; message?: string };
  return e?.name === 'TimeoutError' || e?.name === 'AbortError' || (e?.name === 'TypeError' && e.message === 'fetch failed');
}

/** For tests and writeFileSync users: a fresh state directory holding a given config. */
export function seedPosState(stateDir: string, config: PosConfig): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, 'config.json'), JSON.stringify(config));
}
