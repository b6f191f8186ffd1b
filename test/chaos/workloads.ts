import { randomInt, randomUUID } from 'node:crypto';
import type { HttpResult } from '../support/app.js';
import { randomPhone } from '../support/factories.js';
import type { ApiProcess, Figures, RetryingClient } from './harness.js';

/** A citizen of the run: verified (KYC 1), with money in the wallet. */
export interface ChaosUser {
  id: string;
  token: string;
}

export interface ChaosContext {
  api: ApiProcess;
  figures: Figures;
  /** Platform administrator's token. */
  admin: string;
  /** One citizen per client. */
  users: ChaosUser[];
  /** Client `i`'s retrying HTTP client. */
  client(i: number): RetryingClient;
  /** A request during preparation or verification (retried, no faults meant). */
  call(method: string, path: string, options?: { token?: string; body?: unknown; key?: string }): Promise<HttpResult>;
}

export interface WorkloadReport {
  name: string;
  /** Payments started. */
  attempted: number;
  /** Payments the platform acknowledged (2xx to the client, after any retries). */
  acknowledged: number;
  /** Acknowledged payments found, once, in the platform's records afterwards. */
  persisted: number;
  /** Money movements beyond one per acknowledged payment (a key with two effects). */
  duplicates: number;
  /** Acknowledged payments missing afterwards. */
  lost: number;
  /** Payments whose outcome the client never learnt (gave up at the deadline). */
  unknown: number;
  /** Final refusals by code (a workload is designed so that there are none). */
  refusals: Record<string, number>;
  problems: string[];
}

/**
 * One kind of payment the chaos suite drives. Adding transit taps or campus
 * charges is adding a Workload to WORKLOADS: prepare what it needs through
 * the API, pay one payment per `step` with a retrying client (same key on
 * every retry), wait for what settles asynchronously, and check every
 * acknowledged payment afterwards. The suite checks the wallets (through
 * `walletDelta`), the idempotency keys and the ledger for all of them.
 */
export interface Workload {
  readonly name: string;
  prepare(ctx: ChaosContext): Promise<void>;
  /** One payment by client `i`; false once the client has nothing left to pay here. */
  step(ctx: ChaosContext, i: number, deadline: number): Promise<boolean>;
  /** After the faults: waits (until `deadline`) for notifications and query jobs to settle what was paid. */
  settle(ctx: ChaosContext, deadline: number): Promise<void>;
  verify(ctx: ChaosContext): Promise<WorkloadReport>;
  /** CNY minor units each user's wallet moved by, from this workload's acknowledged payments. */
  walletDelta(): Map<string, number>;
}

interface Ack {
  user: number;
  id: string;
  amount: number;
}

abstract class BaseWorkload implements Workload {
  abstract readonly name: string;
  protected attempted = 0;
  protected unknown = 0;
  protected readonly acks: Ack[] = [];
  protected readonly refusals: Record<string, number> = {};

  abstract prepare(ctx: ChaosContext): Promise<void>;
  abstract step(ctx: ChaosContext, i: number, deadline: number): Promise<boolean>;
  abstract settle(ctx: ChaosContext, deadline: number): Promise<void>;
  abstract verify(ctx: ChaosContext): Promise<WorkloadReport>;

  walletDelta(): Map<string, number> {
    return new Map();
  }

  protected refused(res: HttpResult): void {
    const code = `${res.status} ${(res.body as { code?: string })?.code ?? '?'}`;
    this.refusals[code] = (this.refusals[code] ?? 0) + 1;
  }

  protected report(persisted: number, duplicates: number, lost: number, problems: string[]): WorkloadReport {
    return {
      name: this.name,
      attempted: this.attempted,
      acknowledged: this.acks.length,
      persisted,
      duplicates,
      lost,
      unknown: this.unknown,
      refusals: this.refusals,
      problems,
    };
  }

  /** Per user: how many wallet entries of `kind`, and their sum, against the acknowledged payments. */
  protected async compareWalletEntries(ctx: ChaosContext, kind: string): Promise<{ duplicates: number; lost: number; problems: string[] }> {
    let duplicates = 0;
    let lost = 0;
    const problems: string[] = [];
    for (const [i, user] of ctx.users.entries()) {
      const mine = this.acks.filter((a) => a.user === i);
      const entries = await walletEntries(ctx, user, kind);
      const expected = mine.reduce((s, a) => s + a.amount, 0);
      const actual = entries.reduce((s, e) => s + Math.abs(e.amount), 0);
      if (entries.length > mine.length) duplicates += entries.length - mine.length;
      if (entries.length < mine.length) lost += mine.length - entries.length;
      if (actual !== expected) problems.push(`${this.name}: user ${i} has ${kind} entries of ${actual}, acknowledged ${expected}`);
    }
    return { duplicates, lost, problems };
  }
}

async function walletEntries(ctx: ChaosContext, user: ChaosUser, kind: string): Promise<{ amount: number }[]> {
  const found: { amount: number }[] = [];
  let cursor: string | null = null;
  do {
    const res = await ctx.call('GET', `/v1/wallet/transactions?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: user.token });
    const page = res.body as { items: { kind: string; amount: number }[]; nextCursor: string | null };
    found.push(...page.items.filter((t) => t.kind === kind));
    cursor = page.nextCursor;
  } while (cursor);
  return found;
}

/** Bills paid from the wallet: each client pays its own bills, one request (and key) per bill. */
export class BillsByWallet extends BaseWorkload {
  readonly name = 'bills by wallet';
  private billerId = '';
  private readonly queues: { id: string; amount: number }[][] = [];

  constructor(private readonly billsPerClient = 300) {
    super();
  }

  async prepare(ctx: ChaosContext): Promise<void> {
    const org = await ctx.call('POST', '/v1/admin/organizations', {
      token: ctx.admin,
      body: { name: `Chaos Power ${randomInt(1e9)}`, kind: 'BILLER', billerCategory: 'ELECTRICITY' },
    });
    this.billerId = (org.body as { id: string }).id;
    const operator = ctx.users[0];
    // the admin loads bills as platform administrator would through an operator: grant one
    const me = await ctx.call('GET', '/v1/me', { token: operator.token });
    await ctx.call('POST', `/v1/organizations/${this.billerId}/staff`, { token: ctx.admin, body: { phone: (me.body as { phone: string }).phone, role: 'ORG_ADMIN' } });
    const bills = ctx.users.flatMap((_, i) =>
      Array.from({ length: this.billsPerClient }, (_, n) => ({
        customerRef: `CHAOS-${i}`,
        period: `${2001 + Math.floor(n / 12)}-${String((n % 12) + 1).padStart(2, '0')}`,
        amount: 100 + ((i * 7 + n) % 50),
        currency: 'CNY',
        dueDate: '2026-12-15',
      })),
    );
    const load = await ctx.call('POST', `/v1/billers/${this.billerId}/bills`, { token: operator.token, body: { bills } });
    if (load.status !== 201) throw new Error(`bill load failed: ${load.status} ${load.text.slice(0, 300)}`);
    for (const [i, user] of ctx.users.entries()) {
      const res = await ctx.call('GET', `/v1/billers/${this.billerId}/bills?customerRef=CHAOS-${i}`, { token: user.token });
      this.queues[i] = (res.body as { id: string; amount: number }[]).map((b) => ({ id: b.id, amount: b.amount }));
    }
  }

  async step(ctx: ChaosContext, i: number, deadline: number): Promise<boolean> {
    const bill = this.queues[i].shift();
    if (!bill) return false;
    this.attempted++;
    const res = await ctx.client(i).send('POST', `/v1/bills/${bill.id}/payments`, {
      token: ctx.users[i].token,
      idempotencyKey: randomUUID(),
      body: { method: 'WALLET' },
      deadline,
    });
    if (!res) this.unknown++;
    else if (res.status === 201) this.acks.push({ user: i, id: (res.body as { payment: { id: string } }).payment.id, amount: bill.amount });
    else this.refused(res);
    return true;
  }

  async settle(): Promise<void> {
    // wallet payments are final when acknowledged
  }

  async verify(ctx: ChaosContext): Promise<WorkloadReport> {
    const problems: string[] = [];
    let persisted = 0;
    for (const ack of this.acks) {
      const res = await ctx.call('GET', `/v1/payments/${ack.id}`, { token: ctx.users[ack.user].token });
      const payment = res.body as { status?: string; amount?: number };
      if (res.status === 200 && payment.status === 'SUCCEEDED' && payment.amount === ack.amount) persisted++;
      else problems.push(`${this.name}: acknowledged payment ${ack.id} reads ${res.status} ${res.text.slice(0, 120)}`);
    }
    const wallet = await this.compareWalletEntries(ctx, 'BILL_PAYMENT');
    return this.report(persisted, wallet.duplicates, wallet.lost + (this.acks.length - persisted), [...problems, ...wallet.problems]);
  }

  override walletDelta(): Map<string, number> {
    return sumByUser(this.acks, -1);
  }
}

/** Each client's campus card is topped up from the wallet with this (the default daily limit: charges never reach it). */
const CARD_FUNDS = 50_000;

/**
 * Campus card charges at POS terminals: each client has a card (on its
 * university's roster, topped up from the wallet) and its own terminal;
 * the citizen shows a fresh card code, the POS charges it, retrying with the
 * same key (and a fresh device signature) through the faults. Afterwards
 * each acknowledged charge is one CHARGE movement of the card, and each
 * card's balance is its top-up less what was acknowledged.
 */
export class CampusCharges extends BaseWorkload {
  readonly name = 'campus charges';
  private readonly cards: string[] = [];
  private readonly terminals: { id: string; secret: string }[] = [];
  /** Retries that found their code expired after an outage: no charge (verified like the rest), the POS asks for a new code. */
  private expired = 0;

  async prepare(ctx: ChaosContext): Promise<void> {
    const uni = await ctx.call('POST', '/v1/admin/organizations', { token: ctx.admin, body: { name: `Chaos University ${randomInt(1e9)}`, kind: 'UNIVERSITY' } });
    if (uni.status !== 201) throw new Error(`university failed: ${uni.status} ${uni.text.slice(0, 300)}`);
    const universityId = (uni.body as { id: string }).id;
    const merchant = await ctx.call('POST', '/v1/admin/organizations', {
      token: ctx.admin,
      body: { name: `Chaos Canteen ${randomInt(1e9)}`, kind: 'MERCHANT', universityId, merchantCategory: 'CANTEEN' },
    });
    if (merchant.status !== 201) throw new Error(`merchant failed: ${merchant.status} ${merchant.text.slice(0, 300)}`);
    const merchantId = (merchant.body as { id: string }).id;
    // the first citizen runs the university's roster and the canteen's terminals
    const staff = ctx.users[0];
    const phone = ((await ctx.call('GET', '/v1/me', { token: staff.token })).body as { phone: string }).phone;
    for (const org of [universityId, merchantId]) await ctx.call('POST', `/v1/organizations/${org}/staff`, { token: ctx.admin, body: { phone, role: 'ORG_ADMIN' } });
    const memberNos = ctx.users.map(() => `C${randomInt(1e9)}`);
    const members = await ctx.call('POST', `/v1/campus/${universityId}/members`, {
      token: staff.token,
      body: { members: memberNos.map((memberNo) => ({ memberNo, fullName: '混沌', kind: 'STUDENT' })) },
    });
    if (members.status !== 201) throw new Error(`members failed: ${members.status} ${members.text.slice(0, 300)}`);
    for (const [i, user] of ctx.users.entries()) {
      const card = await ctx.call('POST', '/v1/campus/cards', { token: user.token, body: { universityId, memberNo: memberNos[i] } });
      if (card.status !== 201) throw new Error(`card failed: ${card.status} ${card.text.slice(0, 300)}`);
      this.cards[i] = (card.body as { id: string }).id;
      const top = await ctx.call('POST', `/v1/campus/cards/${this.cards[i]}/top-ups`, { token: user.token, key: randomUUID(), body: { amount: CARD_FUNDS, source: 'WALLET' } });
      if (top.status !== 201) throw new Error(`card top-up failed: ${top.status} ${top.text.slice(0, 300)}`);
      const pos = await ctx.call('POST', `/v1/organizations/${merchantId}/devices`, { token: staff.token, body: { kind: 'POS', label: `till ${i}` } });
      if (pos.status !== 201) throw new Error(`device failed: ${pos.status} ${pos.text.slice(0, 300)}`);
      this.terminals[i] = pos.body as { id: string; secret: string };
    }
  }

  async step(ctx: ChaosContext, i: number, deadline: number): Promise<boolean> {
    this.attempted++;
    const client = ctx.client(i);
    const shown = await client.send('POST', `/v1/campus/cards/${this.cards[i]}/codes`, { token: ctx.users[i].token, deadline });
    if (!shown || shown.status !== 201) {
      if (shown) this.refused(shown);
      else this.unknown++;
      return true;
    }
    const amount = 10 + randomInt(40);
    const res = await client.send('POST', '/v1/campus/charges', {
      device: this.terminals[i],
      idempotencyKey: randomUUID(),
      body: { code: (shown.body as { code: string }).code, amount },
      deadline,
    });
    if (!res) this.unknown++;
    else if (res.status === 201) this.acks.push({ user: i, id: (res.body as { id: string }).id, amount });
    else if ((res.body as { code?: string }).code === 'CODE_EXPIRED') this.expired++;
    else this.refused(res);
    return true;
  }

  async settle(): Promise<void> {
    // card charges are final when acknowledged
  }

  async verify(ctx: ChaosContext): Promise<WorkloadReport> {
    const problems: string[] = [];
    let persisted = 0;
    let duplicates = 0;
    let lost = 0;
    for (const [i, user] of ctx.users.entries()) {
      const movements: { kind: string; amount: number; referenceId: string | null }[] = [];
      let cursor: string | null = null;
      do {
        const res = await ctx.call('GET', `/v1/campus/cards/${this.cards[i]}/transactions?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: user.token });
        const page = res.body as { items: typeof movements; nextCursor: string | null };
        movements.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      const charges = movements.filter((mv) => mv.kind === 'CHARGE');
      const mine = this.acks.filter((a) => a.user === i);
      for (const ack of mine) {
        const found = charges.filter((c) => c.referenceId === ack.id);
        if (found.length === 1 && found[0].amount === -ack.amount) persisted++;
        else problems.push(`${this.name}: acknowledged charge ${ack.id} of ${ack.amount} appears ${found.length}x on card ${i}`);
      }
      if (charges.length > mine.length) duplicates += charges.length - mine.length;
      if (charges.length < mine.length) lost += mine.length - charges.length;
      const expected = CARD_FUNDS - mine.reduce((s, a) => s + a.amount, 0);
      const card = ((await ctx.call('GET', '/v1/campus/cards', { token: user.token })).body as { id: string; balance: number }[]).find((c) => c.id === this.cards[i]);
      if (card?.balance !== expected) problems.push(`${this.name}: card ${i} balance ${card?.balance}, acknowledged charges explain ${expected}`);
      const moved = movements.reduce((s, mv) => s + mv.amount, 0);
      if (moved !== card?.balance) problems.push(`${this.name}: card ${i} movements add up to ${moved}, balance ${card?.balance}`);
    }
    if (this.expired) console.log(`${this.name}: ${this.expired} charges found their code expired after an outage (not charged; checked above)`);
    return this.report(persisted, duplicates, lost, problems);
  }

  override walletDelta(): Map<string, number> {
    // each card's top-up came from its owner's wallet
    return new Map(this.cards.map((_, i) => [String(i), -CARD_FUNDS]));
  }
}

const PROVIDERS = ['ALIPAY', 'WECHAT_PAY', 'UNIONPAY', 'ALIPAY_HK'] as const;

/**
 * Wallet top-ups through the sandbox gateways: create the order (one key),
 * pay it at the gateway; the credit arrives by the provider's notification
 * (duplicated, dropped or delayed by the fault switch) or by the query job.
 */
export class TopUpsThroughSandbox extends BaseWorkload {
  readonly name = 'top-ups through the sandbox';

  async prepare(): Promise<void> {
    // the gateways and their fault switches are the suite's (see chaos.e2e-spec.ts)
  }

  async step(ctx: ChaosContext, i: number, deadline: number): Promise<boolean> {
    this.attempted++;
    const provider = PROVIDERS[randomInt(PROVIDERS.length)];
    const amount = 1000 + randomInt(1000);
    const client = ctx.client(i);
    const created = await client.send('POST', '/v1/wallet/top-ups', {
      token: ctx.users[i].token,
      idempotencyKey: randomUUID(),
      body: { amount, currency: 'CNY', provider },
      deadline,
    });
    if (!created) {
      this.unknown++;
      return true;
    }
    if (created.status !== 201) {
      this.refused(created);
      return true;
    }
    const order = created.body as { id: string; checkout: { providerTradeId: string } };
    // the citizen pays in the provider's app; a retried pay may find it already paid
    const paid = await client.send('POST', `/sandbox/${provider}/trades/${order.checkout.providerTradeId}/pay`, {
      deadline,
      finalCodes: ['TRADE_ALREADY_PAID'],
    });
    if (!paid) this.unknown++;
    else if (paid.status === 200 || (paid.body as { code?: string }).code === 'TRADE_ALREADY_PAID') this.acks.push({ user: i, id: order.id, amount });
    else this.refused(paid);
    return true;
  }

  async settle(ctx: ChaosContext, deadline: number): Promise<void> {
    const pending = new Set(this.acks);
    while (pending.size && Date.now() < deadline) {
      for (const ack of [...pending]) {
        const res = await ctx.call('GET', `/v1/payment-orders/${ack.id}`, { token: ctx.users[ack.user].token });
        if ((res.body as { status?: string }).status !== 'PENDING') pending.delete(ack);
      }
      if (pending.size) await new Promise((r) => setTimeout(r, 500));
    }
  }

  async verify(ctx: ChaosContext): Promise<WorkloadReport> {
    const problems: string[] = [];
    let persisted = 0;
    for (const ack of this.acks) {
      const res = await ctx.call('GET', `/v1/payment-orders/${ack.id}`, { token: ctx.users[ack.user].token });
      const order = res.body as { status?: string; amount?: number };
      if (res.status === 200 && order.status === 'SUCCEEDED' && order.amount === ack.amount) persisted++;
      else problems.push(`${this.name}: paid order ${ack.id} reads ${res.status} ${res.text.slice(0, 160)}`);
    }
    const wallet = await this.compareWalletEntries(ctx, 'TOP_UP');
    return this.report(persisted, wallet.duplicates, wallet.lost, [...problems, ...wallet.problems]);
  }

  override walletDelta(): Map<string, number> {
    return sumByUser(this.acks, 1);
  }
}

/**
 * Bus fares paid at the door: each rider scans the vehicle's sticker
 * (`POST /v1/transit/scan-to-pay`, one key per ride, the same on every
 * retry). Each acknowledged ride is a trip in the rider's history, once,
 * at the fare the answer gave; the wallet moved by those fares.
 */
export class ScanToPayFares extends BaseWorkload {
  readonly name = 'bus fares by scan-to-pay';
  private vehicleQr = '';
  private readonly fare = 200;

  async prepare(ctx: ChaosContext): Promise<void> {
    const org = await ctx.call('POST', '/v1/admin/organizations', {
      token: ctx.admin,
      body: { name: `Chaos Buses ${randomInt(1e9)}`, kind: 'TRANSIT_OPERATOR' },
    });
    if (org.status !== 201) throw new Error(`transit operator: ${org.status} ${org.text.slice(0, 300)}`);
    const operatorId = (org.body as { id: string }).id;
    // the operator's ORG_ADMIN is a staff member of its own, not one of the riders
    const staffPhone = randomPhone();
    const reg = await ctx.call('POST', '/v1/auth/register', { body: { phone: staffPhone, password: 'chaos-password-123' } });
    if (reg.status !== 201) throw new Error(`operator staff: ${reg.status} ${reg.text.slice(0, 300)}`);
    const staffToken = (reg.body as { accessToken: string }).accessToken;
    const grant = await ctx.call('POST', `/v1/organizations/${operatorId}/staff`, { token: ctx.admin, body: { phone: staffPhone, role: 'ORG_ADMIN' } });
    if (grant.status !== 201) throw new Error(`staff grant: ${grant.status} ${grant.text.slice(0, 300)}`);
    const suffix = randomInt(36 ** 4).toString(36).padStart(4, '0');
    const routeCode = `C${suffix}`;
    const route = await ctx.call('POST', '/v1/transit/routes', {
      token: staffToken,
      body: { code: routeCode, name: 'Chaos flat route', fare: { type: 'FLAT', amount: this.fare, currency: 'CNY' } },
    });
    if (route.status !== 201) throw new Error(`route: ${route.status} ${route.text.slice(0, 300)}`);
    const vehicle = await ctx.call('POST', '/v1/transit/vehicles', { token: staffToken, body: { plate: `津C${suffix}`, routeCode } });
    if (vehicle.status !== 201) throw new Error(`vehicle: ${vehicle.status} ${vehicle.text.slice(0, 300)}`);
    this.vehicleQr = (vehicle.body as { staticQr: string }).staticQr;
  }

  async step(ctx: ChaosContext, i: number, deadline: number): Promise<boolean> {
    this.attempted++;
    const res = await ctx.client(i).send('POST', '/v1/transit/scan-to-pay', {
      token: ctx.users[i].token,
      idempotencyKey: randomUUID(),
      body: { vehicleQr: this.vehicleQr },
      deadline,
    });
    if (!res) this.unknown++;
    else if (res.status === 201) {
      const ride = res.body as { tripId: string; fare: { amount: number; currency: string } };
      this.acks.push({ user: i, id: ride.tripId, amount: ride.fare.amount });
    } else this.refused(res);
    return true;
  }

  async settle(): Promise<void> {
    // a scan-to-pay ride is charged when acknowledged
  }

  async verify(ctx: ChaosContext): Promise<WorkloadReport> {
    const problems: string[] = [];
    let persisted = 0;
    let duplicates = 0;
    let lost = 0;
    for (const [i, user] of ctx.users.entries()) {
      const trips = await tripsOf(ctx, user);
      const seen = new Map<string, { fare: { amount: number } | null; status: string }[]>();
      for (const t of trips) seen.set(t.id, [...(seen.get(t.id) ?? []), t]);
      const mine = this.acks.filter((a) => a.user === i);
      const acked = new Set(mine.map((a) => a.id));
      for (const ack of mine) {
        const found = seen.get(ack.id) ?? [];
        if (found.length === 0) {
          lost++;
          problems.push(`${this.name}: acknowledged trip ${ack.id} of user ${i} is not in the history`);
        } else if (found.length > 1) {
          duplicates += found.length - 1;
          problems.push(`${this.name}: trip ${ack.id} of user ${i} is listed ${found.length} times`);
        } else if (found[0].status !== 'CHARGED' || found[0].fare?.amount !== ack.amount) {
          problems.push(`${this.name}: trip ${ack.id} of user ${i} reads ${found[0].status} ${JSON.stringify(found[0].fare)}, acknowledged ${ack.amount}`);
        } else persisted++;
      }
      // a key that made two trips leaves one that no answer named
      const extra = trips.filter((t) => !acked.has(t.id));
      duplicates += extra.length;
      if (extra.length) problems.push(`${this.name}: user ${i} has ${extra.length} trips no acknowledged ride explains`);
    }
    const wallet = await this.compareWalletEntries(ctx, 'TRANSIT_FARE');
    return this.report(persisted, duplicates + wallet.duplicates, lost + wallet.lost, [...problems, ...wallet.problems]);
  }

  override walletDelta(): Map<string, number> {
    return sumByUser(this.acks, -1);
  }
}

async function tripsOf(ctx: ChaosContext, user: ChaosUser): Promise<{ id: string; fare: { amount: number } | null; status: string }[]> {
  const found: { id: string; fare: { amount: number } | null; status: string }[] = [];
  let cursor: string | null = null;
  do {
    const res = await ctx.call('GET', `/v1/transit/trips?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: user.token });
    if (res.status !== 200) throw new Error(`trips: ${res.status} ${res.text.slice(0, 300)}`);
    const page = res.body as { items: { id: string; fare: { amount: number } | null; status: string }[]; nextCursor: string | null };
    found.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return found;
}

function sumByUser(acks: Ack[], sign: 1 | -1): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of acks) out.set(String(a.user), (out.get(String(a.user)) ?? 0) + sign * a.amount);
  return out;
}

/**
/**
 * The payments the chaos suite drives, in proportion to their weight (the
 * load time is fixed: a new workload takes its share from the others).
 * Bus fares are paid by scan-to-pay; transit taps from a bus-reader device
 * could join this list as one more workload.
 */
export function workloads(): { workload: Workload; weight: number }[] {
  return [
    { workload: new BillsByWallet(200), weight: 3 },
    { workload: new TopUpsThroughSandbox(), weight: 2 },
    { workload: new ScanToPayFares(), weight: 2 },
    { workload: new CampusCharges(), weight: 1 },
  ];
}
