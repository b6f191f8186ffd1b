/**
 * The transit part of `npm run seed:demo`: a Binhai bus operator (the bill
 * operator's phone as its ORG_ADMIN), a FLAT and a DISTANCE route, vehicles
 * with their bus-door stickers and a bus reader device. Through the real
 * HTTP routes, like the rest of the seed; safe to run again (a new reader
 * each run, since a device secret is shown only once).
 */
type Call = (method: string, path: string, body?: unknown, token?: string, key?: string) => Promise<{ status: number; body: any }>;
type Expect = (what: string, res: { status: number; body: unknown }, ...ok: number[]) => any;

export const TRANSIT_OPERATOR_NAME = '滨海公交 Binhai Bus';

export async function seedTransit(call: Call, expect: Expect, admin: string, operator: { token: string; phone: string }): Promise<string[]> {
  const existing = expect('operators', await call('GET', '/v1/admin/organizations?kind=TRANSIT_OPERATOR', undefined, admin), 200) as { id: string; name: string }[];
  const orgId =
    existing.find((o) => o.name === TRANSIT_OPERATOR_NAME)?.id ??
    (expect('operator org', await call('POST', '/v1/admin/organizations', { kind: 'TRANSIT_OPERATOR', name: TRANSIT_OPERATOR_NAME }, admin), 201).id as string);
  expect('transit staff', await call('POST', `/v1/organizations/${orgId}/staff`, { phone: operator.phone, role: 'ORG_ADMIN' }, admin), 201, 200, 409);
  const routes = [
    { code: 'BH1', name: '滨海1路 Binhai 1 (flat)', fare: { type: 'FLAT', amount: 200, currency: 'CNY' } },
    { code: 'BH2', name: '滨海2路 Binhai 2 (by distance)', fare: { type: 'DISTANCE', baseAmount: 200, baseStops: 5, perStopAmount: 50, maxAmount: 600, currency: 'CNY' } },
  ];
  for (const r of routes) expect(`route ${r.code}`, await call('POST', '/v1/transit/routes', { ...r, operatorId: orgId }, operator.token), 201, 409);
  const have = expect('vehicles', await call('GET', `/v1/transit/vehicles?operatorId=${orgId}`, undefined, operator.token), 200) as { id: string; plate: string; routeCode: string; staticQr: string }[];
  const vehicles = [];
  for (const v of [
    { plate: '津A·B1001', routeCode: 'BH1' },
    { plate: '津A·B1002', routeCode: 'BH1' },
    { plate: '津A·B2001', routeCode: 'BH2' },
  ]) {
    vehicles.push(have.find((h) => h.plate === v.plate) ?? expect(`vehicle ${v.plate}`, await call('POST', '/v1/transit/vehicles', { ...v, operatorId: orgId }, operator.token), 201));
  }
  const reader = expect('reader', await call('POST', `/v1/organizations/${orgId}/devices`, { kind: 'BUS_READER', label: `BH1 ${vehicles[0].plate} front door` }, operator.token), 201) as {
    id: string;
    secret: string;
  };
  return [
    `Transit operator ${orgId} ${TRANSIT_OPERATOR_NAME} (ORG_ADMIN ${operator.phone}):`,
    '  route BH1 FLAT 2.00 CNY; route BH2 DISTANCE 2.00 CNY for 5 stops, +0.50 a stop, at most 6.00',
    ...vehicles.map((v) => `  vehicle ${v.id} ${v.plate} on ${v.routeCode}, door sticker (scan-to-pay vehicleQr): ${v.staticQr}`),
    `  bus reader on BH1: device id ${reader.id}, secret ${reader.secret} (shown only now)`,
    `  run it: READER_DEVICE_SECRET=${reader.secret} npm run reader -- --server http://localhost:3000 --device-id ${reader.id} --route BH1 --vehicle ${vehicles[0].id}`,
  ];
}
