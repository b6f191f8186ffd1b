import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** A tap as the reader recorded it (the body item of POST /v1/transit/taps). */
export interface QueuedTap {
  tapId: string;
  code: string;
  scannedAt: string;
  routeCode: string;
  vehicleId?: string;
  stopIndex?: number;
  direction?: 'IN' | 'OUT';
}

/**
 * The reader's durable tap queue: two append-only files in one directory,
 * each record a JSON line written and fsync'd before the call returns.
 * `taps.log` holds every tap accepted; `acked.log` the tapIds the server
 * answered. A crash or power cut loses nothing that was answered to a
 * passenger (a torn last line is ignored: that tap was never answered), and
 * a tap uploaded but not yet acknowledged is sent again (the server answers
 * DUPLICATE with its first result). Compacted when everything is acknowledged.
 */
export class DurableQueue {
  private readonly tapsPath: string;
  private readonly ackedPath: string;
  private tapsFd: number;
  private ackedFd: number;
  private readonly pending = new Map<string, QueuedTap>();
  /** Single-use keys of codes this reader took (kept with the queue, so a restart still refuses a reused code). */
  readonly usedKeys = new Set<string>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.tapsPath = join(dir, 'taps.log');
    this.ackedPath = join(dir, 'acked.log');
    const acked = new Set(readLines(this.ackedPath).map((l) => (l as { tapId: string }).tapId));
    for (const rec of readLines(this.tapsPath) as (QueuedTap & { useKey?: string })[]) {
      if (rec.useKey) this.usedKeys.add(rec.useKey);
      if (!acked.has(rec.tapId)) {
        const { useKey: _k, ...tap } = rec;
        this.pending.set(rec.tapId, tap);
      }
    }
    this.tapsFd = openSync(this.tapsPath, 'a');
    this.ackedFd = openSync(this.ackedPath, 'a');
  }

  get size(): number {
    return this.pending.size;
  }

  /** Appends a tap durably (fsync) before returning. */
  push(tap: QueuedTap, useKey: string): void {
    appendDurably(this.tapsFd, { ...tap, useKey });
    this.usedKeys.add(useKey);
    this.pending.set(tap.tapId, tap);
  }

  /** Up to `n` taps not yet acknowledged, oldest first. */
  peek(n: number): QueuedTap[] {
    return [...this.pending.values()].slice(0, n);
  }

  /** Records the server's answers durably; compacts the files once nothing is pending. */
  ack(tapIds: readonly string[]): void {
    if (tapIds.length === 0) return;
    const lines = tapIds.map((tapId) => JSON.stringify({ tapId })).join('\n') + '\n';
    writeSync(this.ackedFd, lines);
    fsyncSync(this.ackedFd);
    for (const id of tapIds) this.pending.delete(id);
    if (this.pending.size === 0) this.compact();
  }

  /** Nothing pending: start both logs afresh, keeping the used keys of codes still possibly live (the last 10 minutes' worth is plenty; we keep them all until restart). */
  private compact(): void {
    closeSync(this.tapsFd);
    closeSync(this.ackedFd);
    const keep = [...this.usedKeys].slice(-5000).map((useKey) => JSON.stringify({ tapId: 'used', useKey })).join('\n');
    const tmp = `${this.tapsPath}.tmp`;
    const fd = openSync(tmp, 'w');
    if (keep) writeSync(fd, keep + '\n');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.tapsPath);
    this.tapsFd = openSync(this.tapsPath, 'a');
    // every tap in the new log is acknowledged ("used" markers are never pending)
    const ackFd = openSync(`${this.ackedPath}.tmp`, 'w');
    writeSync(ackFd, JSON.stringify({ tapId: 'used' }) + '\n');
    fsyncSync(ackFd);
    closeSync(ackFd);
    renameSync(`${this.ackedPath}.tmp`, this.ackedPath);
    this.ackedFd = openSync(this.ackedPath, 'a');
  }

  close(): void {
    closeSync(this.tapsFd);
    closeSync(this.ackedFd);
  }
}

function appendDurably(fd: number, record: object): void {
  writeSync(fd, JSON.stringify(record) + '\n');
  fsyncSync(fd);
}

function readLines(path: string): object[] {
  if (!existsSync(path)) return [];
  const out: object[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as object);
    } catch {
      // a torn last line (power cut mid-write): that tap was never answered
    }
  }
  return out;
}
