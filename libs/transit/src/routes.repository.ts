import type { EntityManager } from 'typeorm';
import type { Currency } from '@app/common';
import type { RouteFare } from './domain/route-fare.js';

export interface RouteRow {
  id: string;
  operator_id: string;
  code: string;
  name: string;
  fare_type: 'FLAT' | 'DISTANCE';
  amount: string | null;
  base_amount: string | null;
  base_stops: number | null;
  per_stop_amount: string | null;
  max_amount: string | null;
  currency: string;
  created_at: Date;
}

export interface VehicleRow {
  id: string;
  operator_id: string;
  route_id: string;
  plate: string;
  static_qr: string;
  route_code: string;
}

export function fareOf(r: RouteRow): RouteFare {
  const currency = r.currency.trim() as Currency;
  if (r.fare_type === 'FLAT') return { type: 'FLAT', amount: BigInt(r.amount!), currency };
  return {
    type: 'DISTANCE',
    baseAmount: BigInt(r.base_amount!),
    baseStops: r.base_stops!,
    perStopAmount: BigInt(r.per_stop_amount!),
    maxAmount: BigInt(r.max_amount!),
    currency,
  };
}

/** SQL of routes, vehicles and operators (schema transit). */
export class RoutesRepository {
  async operatorsAmong(m: EntityManager, ids: readonly string[]): Promise<string[]> {
    const rows = (await m.query(`SELECT organization_id FROM transit.operators WHERE organization_id = ANY($1::uuid[]) ORDER BY organization_id`, [ids])) as {
      organization_id: string;
    }[];
    return rows.map((r) => r.organization_id);
  }

  /** Inserts a route; undefined when the operator already has one with this code. */
  async insertRoute(m: EntityManager, operatorId: string, code: string, name: string, fare: RouteFare): Promise<RouteRow | undefined> {
    const flat = fare.type === 'FLAT';
    const rows = (await m.query(
      `INSERT INTO transit.routes (operator_id, code, name, fare_type, amount, base_amount, base_stops, per_stop_amount, max_amount, currency)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (operator_id, code) DO NOTHING RETURNING *`,
      [
        operatorId,
        code,
        name,
        fare.type,
        flat ? fare.amount.toString() : null,
        flat ? null : fare.baseAmount.toString(),
        flat ? null : fare.baseStops,
        flat ? null : fare.perStopAmount.toString(),
        flat ? null : fare.maxAmount.toString(),
        fare.currency,
      ],
    )) as RouteRow[];
    return rows[0];
  }

  async routesByCodes(m: EntityManager, operatorId: string, codes: readonly string[]): Promise<RouteRow[]> {
    return (await m.query(`SELECT * FROM transit.routes WHERE operator_id = $1 AND code = ANY($2::text[])`, [operatorId, codes])) as RouteRow[];
  }

  async routesByIds(m: EntityManager, ids: readonly string[]): Promise<RouteRow[]> {
    return (await m.query(`SELECT * FROM transit.routes WHERE id = ANY($1::uuid[])`, [ids])) as RouteRow[];
  }

  async routes(m: EntityManager, operatorId: string): Promise<RouteRow[]> {
    return (await m.query(`SELECT * FROM transit.routes WHERE operator_id = $1 ORDER BY code`, [operatorId])) as RouteRow[];
  }

  /** Inserts a vehicle with its sticker (made from its id by `sticker`); undefined when the plate is taken. */
  async insertVehicle(m: EntityManager, id: string, operatorId: string, routeId: string, plate: string, staticQr: string): Promise<boolean> {
    const rows = (await m.query(
      `INSERT INTO transit.vehicles (id, operator_id, route_id, plate, static_qr) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (operator_id, plate) DO NOTHING RETURNING id`,
      [id, operatorId, routeId, plate, staticQr],
    )) as unknown[];
    return rows.length === 1;
  }

  async vehicle(m: EntityManager, id: string): Promise<VehicleRow | undefined> {
    const [row] = (await m.query(
      `SELECT v.*, r.code AS route_code FROM transit.vehicles v JOIN transit.routes r ON r.id = v.route_id WHERE v.id = $1`,
      [id],
    )) as VehicleRow[];
    return row;
  }

  async vehiclesOf(m: EntityManager, operatorId: string, ids: readonly string[]): Promise<VehicleRow[]> {
    return (await m.query(
      `SELECT v.*, r.code AS route_code FROM transit.vehicles v JOIN transit.routes r ON r.id = v.route_id WHERE v.operator_id = $1 AND v.id = ANY($2::uuid[])`,
      [operatorId, ids],
    )) as VehicleRow[];
  }

  async vehicles(m: EntityManager, operatorId: string): Promise<VehicleRow[]> {
    return (await m.query(
      `SELECT v.*, r.code AS route_code FROM transit.vehicles v JOIN transit.routes r ON r.id = v.route_id WHERE v.operator_id = $1 ORDER BY v.plate`,
      [operatorId],
    )) as VehicleRow[];
  }
}
