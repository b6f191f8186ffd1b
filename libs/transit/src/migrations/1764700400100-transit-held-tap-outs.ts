import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DISTANCE tap-outs uploaded before their tap-in (offline readers upload late
 * and out of order): held here, under the rider's lock, until the tap-in
 * arrives and closes the trip with them (trip_id set then).
 */
export class TransitHeldTapOuts1764700400100 implements MigrationInterface {
  name = 'TransitHeldTapOuts1764700400100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE transit.held_tap_outs (
        device_id uuid NOT NULL,
        tap_id uuid NOT NULL,
        rider_user_id uuid NOT NULL REFERENCES transit.riders (user_id),
        operator_id uuid NOT NULL REFERENCES transit.operators (organization_id),
        route_id uuid NOT NULL REFERENCES transit.routes (id),
        vehicle_id uuid REFERENCES transit.vehicles (id),
        scanned_at timestamptz NOT NULL,
        stop_out int NOT NULL,
        trip_id uuid REFERENCES transit.trips (id),
        matched_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (device_id, tap_id),
        FOREIGN KEY (device_id, tap_id) REFERENCES transit.taps (device_id, tap_id)
      )`);
    await q.query(`CREATE INDEX held_tap_outs_open ON transit.held_tap_outs (rider_user_id, route_id, scanned_at) WHERE trip_id IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE transit.held_tap_outs`);
  }
}
