import { type HttpResult, request, type RequestOptions } from '../support/app.js';
import { type Child, childEnv, runNode, waitReady, SERVER } from '../support/process.js';
import { signDeviceRequest } from '@app/identity';

const MAIN = SERVER;

/** What the chaos run tried and saw; printed at the end. */
export class Figures {
  requests = 0;
  /** Answers by status (and code for errors), e.g. `201`, `503 SERVICE_UNAVAILABLE`. */
  answers = new Map<string, number>();
  networkErrors = 0;
  faults = { connectionsTerminated: 0, terminatedAtHandout: 0, apiKilled: 0, gatewayOutages: 0, notificationFaults: 0 };
  /** Answers that break the contract: 500, 401 with a valid token, and the like. */
  violations: string[] = [];
  /** Exits of the API process that no one asked for. */
  unexpectedExits: string[] = [];

  count(res: HttpResult): void {
    const key = res.status >= 400 ? `${res.status} ${(res.body as { code?: string })?.code ?? '?'}` : String(res.status);
    this.answers.set(key, (this.answers.get(key) ?? 0) + 1);
  }

  fivexx(): Record<string, number> {
    return Object.fromEntries([...this.answers].filter(([k]) => k.startsWith('5')).sort());
  }
}

/**
 * The real server (`dist/server/main.js`, what `npm start` runs) on a fixed port, restarted
 * after it is SIGKILLed. An exit nobody asked for is recorded (the test
 * fails on it) and the server is started again so the run can finish.
 */
export class ApiProcess {
  private child?: Child;
  private killing = false;
  /** True from a SIGKILL until the new process is ready. */
  restarting = false;
  /** Time the API was down for its restarts, ms. */
  downMs = 0;
  readonly outputs: string[] = [];

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly figures: Figures,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = runNode(MAIN, childEnv({ PORT: String(this.port), ...this.env }));
    this.child = child;
    child.proc.once('exit', (code, signal) => {
      this.outputs.push(child.output());
      if (this.killing || this.child !== child) return;
      this.figures.unexpectedExits.push(`exit ${code ?? signal}: ${tail(child.output())}`);
      void this.start().catch(() => undefined);
    });
    await waitReady(this.port, 60_000);
  }

  /** SIGKILL mid-load, then start again at once (clients keep retrying meanwhile). */
  async killAndRestart(): Promise<void> {
    const child = this.child!;
    const down = Date.now();
    this.killing = true;
    this.restarting = true;
    child.proc.kill('SIGKILL');
    await child.exited();
    this.killing = false;
    this.figures.faults.apiKilled++;
    try {
      await this.start();
    } finally {
      this.restarting = false;
      this.downMs += Date.now() - down;
    }
  }

  /** Graceful stop at the end (SIGTERM: exit 0 expected). */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child || child.proc.exitCode !== null) return child?.proc.exitCode ?? null;
    this.killing = true;
    child.proc.kill('SIGTERM');
    return child.exited(30_000);
  }

  output(): string {
    return [...this.outputs, this.child?.output() ?? ''].join('\n');
  }
}

/** The end of a process's output, without the JSON log lines (a crash prints its stack as plain text). */
function tail(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('{'))
    .slice(-40)
    .join('\n');
}

export interface SendOptions extends RequestOptions {
  /** Sent on every attempt (the same key: that is what makes retrying safe). */
  idempotencyKey?: string;
  /** Give up after this moment (the answer is then unknown). */
  deadline: number;
  /** A 4xx answer with this code is final (e.g. the sandbox's "already paid" on a retried pay). */
  finalCodes?: string[];
  /** Sign as this device (X-Device-*), afresh on every attempt: a device signature is accepted once. */
  device?: { id: string; secret: string };
}

function deviceHeaders(device: { id: string; secret: string }, method: string, path: string, raw: string): Record<string, string> {
  const timestamp = String(Date.now());
  return { 'x-device-id': device.id, 'x-device-timestamp': timestamp, 'x-device-signature': signDeviceRequest(device.secret, method, path, timestamp, raw) };
}

/**
 * A client that retries the same request, with the same Idempotency-Key,
 * until it gets a final answer: through 503s, 409 IDEMPOTENCY_IN_PROGRESS,
 * connection errors while the server restarts. Every answer is counted;
 * a 500, or a 401 to a valid token, is a violation (and retried).
 */
export class RetryingClient {
  constructor(
    private readonly api: ApiProcess,
    private readonly figures: Figures,
  ) {}

  async send(method: string, path: string, options: SendOptions): Promise<HttpResult | undefined> {
    const headers = { ...options.headers, ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}) };
    for (let attempt = 1; Date.now() < options.deadline; attempt++) {
      let res: HttpResult;
      try {
        this.figures.requests++;
        if (options.device) {
          const raw = options.body === undefined ? '' : JSON.stringify(options.body);
          const signed = { ...headers, ...deviceHeaders(options.device, method, path, raw), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) };
          res = await request(this.api.baseUrl, method, path, { headers: signed, ...(options.body === undefined ? {} : { raw }) });
        } else {
          res = await request(this.api.baseUrl, method, path, { ...options, headers });
        }
      } catch {
        this.figures.networkErrors++;
        await pause(100, 300);
        continue;
      }
      this.figures.count(res);
      const code = (res.body as { code?: string } | undefined)?.code ?? '';
      if (res.status === 500 || (res.status === 401 && (options.token || options.device))) {
        this.figures.violations.push(`${method} ${path}: ${res.status} ${res.text.slice(0, 200)}`);
      }
      if (res.status < 400) return res;
      if (res.status === 503 || res.status === 500 || res.status === 401 || code === 'IDEMPOTENCY_IN_PROGRESS') {
        await pause(100, 300);
        continue;
      }
      if (res.status === 429) {
        await pause(500, 1000);
        continue;
      }
      if (options.finalCodes?.includes(code) || res.status < 500) return res;
      await pause(100, 300);
    }
    return undefined;
  }
}

export function pause(minMs: number, maxMs: number): Promise<void> {
  return new Promise((r) => setTimeout(r, minMs + Math.random() * (maxMs - minMs)));
}
