import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { RouteDurationHistogram } from './route-durations.js';

const BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The same observations through prom-client's own Histogram and through ours: the scrapes must read alike. */
async function both(observations: { route: string; method: string; status: number; seconds: number }[]) {
  const theirs = new Registry();
  const reference = new Histogram({ name: 'd', help: 'h', labelNames: ['route', 'method', 'status_code'], buckets: BOUNDS, registers: [theirs] });
  const ours = new Registry();
  const histogram = new RouteDurationHistogram('d', 'h', BOUNDS, ours);
  const recorders = new Map<string, ReturnType<RouteDurationHistogram['recorder']>>();
  for (const o of observations) {
    reference.observe({ route: o.route, method: o.method, status_code: o.status }, o.seconds);
    if (!recorders.has(o.route)) recorders.set(o.route, histogram.recorder(o.route));
    recorders.get(o.route)!(o.method, o.status, o.seconds);
  }
  return { reference, theirs, histogram, ours };
}

/** Exposition lines, in an order that does not depend on which series came first. */
const lines = async (registry: Registry) => (await registry.metrics()).split('\n').sort();

describe('RouteDurationHistogram', () => {
  it("scrapes as prom-client's Histogram does for the same observations", async () => {
    const observation = fc.record({
      route: fc.constantFrom('/health/live', '/v1/bills/:billId/payments', 'UNMATCHED'),
      method: fc.constantFrom('GET', 'POST'),
      status: fc.constantFrom(200, 201, 402, 404, 503),
      // bounds themselves included: a value equal to a bound is counted in it (le)
      seconds: fc.oneof(fc.constantFrom(...BOUNDS), fc.double({ min: 0, max: 20, noNaN: true })),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 60 }), async (observations) => {
        const { theirs, ours } = await both(observations);
        expect(await lines(ours)).toEqual(await lines(theirs));
      }),
    );
  });

  it('keeps one series for two routes of one template, and resets to zero with the registry', async () => {
    const { ours, histogram } = await both([{ route: '/a', method: 'GET', status: 200, seconds: 0.003 }]);
    histogram.recorder('/a')('GET', 200, 0.2); // a second route object with the same template
    const text = await ours.metrics();
    expect(text.match(/^d_count\{route="\/a",method="GET",status_code="200"\} 2$/m)).not.toBeNull();
    expect(text.match(/^d_bucket\{le="0.005",route="\/a",method="GET",status_code="200"\} 1$/m)).not.toBeNull();
    expect(text.match(/^d_bucket\{le="\+Inf",route="\/a",method="GET",status_code="200"\} 2$/m)).not.toBeNull();
    ours.resetMetrics();
    expect(await ours.metrics()).toMatch(/^d_count\{route="\/a",method="GET",status_code="200"\} 0$/m);
  });

  it('refuses bounds that do not increase', () => {
    expect(() => new RouteDurationHistogram('d', 'h', [0.1, 0.1], new Registry())).toThrow('bucket bounds must increase');
  });
});
