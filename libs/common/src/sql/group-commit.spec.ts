import { describe, expect, it, jest } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import { BatchItemError, GroupCommit, type ItemOutcome } from './group-commit.js';

/** A statement that answers when told to: the batches it was sent, and a way to finish each. */
function controlledStatement() {
  const sent: { items: number[]; finish: (outcomes: ItemOutcome<string>[] | Error) => void }[] = [];
  const run = (items: number[]) =>
    new Promise<ItemOutcome<string>[]>((resolve, reject) => {
      sent.push({ items, finish: (o) => (o instanceof Error ? reject(o) : resolve(o)) });
    });
  return { sent, run };
}
const allOk = (items: number[]): ItemOutcome<string>[] => items.map((i) => ({ ok: true, value: `done ${i}` }));
const settle = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('sends at once while fewer than maxInFlight statements run; the waiting ones go together, maxBatch at most', async () => {
    const { sent, run } = controlledStatement();
    const sizes: number[] = [];
    const group = new GroupCommit<number, string>({ run, maxBatch: 3, maxInFlight: 2, onBatch: (n) => sizes.push(n) });
    const results = Array.from({ length: 7 }, (_, i) => group.submit(i));
    await settle();
    expect(sent.map((s) => s.items)).toEqual([[0], [1]]);
    sent[0]!.finish(allOk([0]));
    await settle();
    expect(sent.map((s) => s.items)).toEqual([[0], [1], [2, 3, 4]]);
    sent[1]!.finish(allOk([1]));
    await settle();
    expect(sent.map((s) => s.items)).toEqual([[0], [1], [2, 3, 4], [5, 6]]);
    sent[2]!.finish(allOk([2, 3, 4]));
    sent[3]!.finish(allOk([5, 6]));
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `done ${i}`));
    expect(sizes).toEqual([1, 1, 3, 2]);
  });

  it('an item refused is refused alone; a statement that fails fails all its items', async () => {
    const { sent, run } = controlledStatement();
    const group = new GroupCommit<number, string>({ run, maxBatch: 10, maxInFlight: 1 });
    const first = group.submit(0);
    const batch = [1, 2, 3].map((i) => group.submit(i).then((v) => v, (e: unknown) => e));
    await settle();
    sent[0]!.finish(new Error('connection terminated'));
    await expect(first).rejects.toThrow('connection terminated');
    await settle();
    expect(sent[1]!.items).toEqual([1, 2, 3]);
    sent[1]!.finish([{ ok: true, value: 'one' }, { ok: false, error: new BatchItemError('40P01', 'deadlock detected') }, { ok: true, value: 'three' }]);
    const [one, two, three] = await Promise.all(batch);
    expect([one, three]).toEqual(['one', 'three']);
    // shaped as the driver's own error (what sqlState(), withRetry and the HTTP error filter read)
    expect(two).toBeInstanceOf(BatchItemError);
    expect((two as BatchItemError).code).toBe('40P01');
    expect((two as BatchItemError).driverError).toEqual({ code: '40P01', message: 'deadlock detected' });
  });

  it('a statement answering fewer outcomes than items rejects the ones left without', async () => {
    const { sent, run } = controlledStatement();
    const group = new GroupCommit<number, string>({ run, maxBatch: 10, maxInFlight: 1 });
    const block = group.submit(0);
    const waiting = [1, 2].map((i) => group.submit(i).then((v) => v, (e: Error) => e.message));
    await settle();
    sent[0]!.finish(allOk([0]));
    await block;
    await settle();
    sent[1]!.finish(allOk([1]));
    expect(await Promise.all(waiting)).toEqual(['done 1', expect.stringMatching(/answered 1 outcomes for 2 items/)]);
  });

  it('sends a batch in lock order (stable for equal keys) and answers each caller its own outcome', async () => {
    const { sent, run } = controlledStatement();
    const group = new GroupCommit<number, string>({ run, maxBatch: 10, maxInFlight: 1, lockOrder: (i) => ['c', 'a', 'b', 'a'][i - 1] ?? '' });
    const block = group.submit(0);
    const results = [1, 2, 3, 4].map((i) => group.submit(i));
    await settle();
    sent[0]!.finish(allOk([0]));
    await block;
    await settle();
    expect(sent[1]!.items).toEqual([2, 4, 3, 1]);
    sent[1]!.finish(allOk(sent[1]!.items));
    expect(await Promise.all(results)).toEqual(['done 1', 'done 2', 'done 3', 'done 4']);
  });

  it('whenStalled: beyond maxInFlight only once the running statements have run afterMs', async () => {
    // the clock is the test's (setTimeout and performance.now): a loaded machine's late timers cannot reorder the steps
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const { sent, run } = controlledStatement();
      const group = new GroupCommit<number, string>({ run, maxBatch: 10, maxInFlight: 1, whenStalled: { afterMs: 60, upTo: 2 } });
      const results = [0, 1, 2].map((i) => group.submit(i));
      await settle();
      expect(sent.map((s) => s.items)).toEqual([[0]]);
      jest.advanceTimersByTime(20);
      const late = group.submit(3);
      await settle();
      // the first has not run 60 ms yet: the others wait for it
      expect(sent.map((s) => s.items)).toEqual([[0]]);
      jest.advanceTimersByTime(39);
      await settle();
      expect(sent.map((s) => s.items)).toEqual([[0]]);
      jest.advanceTimersByTime(1);
      await settle();
      // it has: a second statement takes all that waited (and no third: at most 2 at once)
      expect(sent.map((s) => s.items)).toEqual([[0], [1, 2, 3]]);
      const fourth = group.submit(4);
      jest.advanceTimersByTime(80);
      await settle();
      expect(sent).toHaveLength(2);
      sent[1]!.finish(allOk([1, 2, 3]));
      sent[0]!.finish(allOk([0]));
      await settle();
      expect(sent.map((s) => s.items)).toEqual([[0], [1, 2, 3], [4]]);
      sent[2]!.finish(allOk([4]));
      expect(await Promise.all([...results, late, fourth])).toEqual([0, 1, 2, 3, 4].map((i) => `done ${i}`));
    } finally {
      jest.useRealTimers();
    }
  });

  it("runs what the statement logs once in each item's own async context (each request's log line and id)", async () => {
    const requestId = new AsyncLocalStorage<string>();
    const logged: (string | undefined)[][] = [];
    const group = new GroupCommit<number, string>({
      maxBatch: 10,
      maxInFlight: 1,
      run: async (items, inEachContext) => {
        const seen: (string | undefined)[] = [];
        inEachContext(() => seen.push(requestId.getStore()));
        logged.push(seen);
        await settle();
        return allOk(items);
      },
    });
    // sent from inside request A's context, the second statement carries B, C and D: each is logged as itself
    await Promise.all(['A', 'B', 'C', 'D'].map((id, i) => requestId.run(id, () => group.submit(i))));
    expect(logged).toEqual([['A'], ['B', 'C', 'D']]);
  });

  it('a hook that throws before the statement rejects that batch, and the next batches still go', async () => {
    const { sent, run } = controlledStatement();
    let calls = 0;
    const group = new GroupCommit<number, string>({
      run,
      maxBatch: 10,
      maxInFlight: 1,
      onBatch: () => {
        if (calls++ === 0) throw new Error('metrics down');
      },
    });
    await expect(group.submit(0)).rejects.toThrow('metrics down');
    const next = group.submit(1);
    await settle();
    sent[0]!.finish(allOk([1]));
    expect(await next).toBe('done 1');
  });

  it('refuses a batch size or concurrency below one', () => {
    expect(() => new GroupCommit({ run: async () => [], maxBatch: 0, maxInFlight: 1 })).toThrow(RangeError);
    expect(() => new GroupCommit({ run: async () => [], maxBatch: 1, maxInFlight: 0 })).toThrow(RangeError);
  });
});
