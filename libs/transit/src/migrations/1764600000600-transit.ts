import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transit context's schema: operators (the TRANSIT_OPERATOR profile of
 * organisations), routes with their fares, vehicles with their bus-door
 * stickers, riders (the opaque reference in ride codes, arrears), the uses of
 * codes (single use decided by a primary key), taps as readers uploaded them
 * (deduplicated by reader and tapId), trips, and the versioned blocklist.
 */
export class Transit1764600000600 implements MigrationInterface {
  name = 'Transit1764600000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS transit`);
    await q.query(`
      CREATE TABLE transit.operators (
        organization_id uuid PRIMARY KEY REFERENCES identity.organizations (id),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      INSERT INTO transit.operators (organization_id, created_at)
      SELECT id, created_at FROM identity.organizations WHERE kind = 'TRANSIT_OPERATOR'`);
    await q.query(`
      CREATE TABLE transit.routes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        operator_id uuid NOT NULL REFERENCES transit.operators (organization_id),
        code text NOT NULL CHECK (char_length(code) BETWEEN 1 AND 32),
        name text NOT NULL,
        fare_type text NOT NULL CHECK (fare_type IN ('FLAT', 'DISTANCE')),
        amount bigint CHECK (amount > 0),
        base_amount bigint CHECK (base_amount > 0),
        base_stops int CHECK (base_stops >= 0),
        per_stop_amount bigint CHECK (per_stop_amount >= 0),
        max_amount bigint CHECK (max_amount > 0),
        currency char(3) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT routes_code UNIQUE (operator_id, code),
        CONSTRAINT routes_fare CHECK (
          (fare_type = 'FLAT' AND amount IS NOT NULL) OR
          (fare_type = 'DISTANCE' AND base_amount IS NOT NULL AND base_stops IS NOT NULL AND per_stop_amount IS NOT NULL AND max_amount >= base_amount))
      )`);
    await q.query(`
      CREATE TABLE transit.vehicles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        operator_id uuid NOT NULL REFERENCES transit.operators (organization_id),
        route_id uuid NOT NULL REFERENCES transit.routes (id),
        plate text NOT NULL,
        static_qr text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT vehicles_plate UNIQUE (operator_id, plate)
      )`);
    await q.query(`
      CREATE TABLE transit.riders (
        user_id uuid PRIMARY KEY,
        ref text NOT NULL UNIQUE,
        wallet_account_id uuid NOT NULL,
        in_arrears boolean NOT NULL DEFAULT false,
        arrears_since timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE transit.trips (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        rider_user_id uuid NOT NULL REFERENCES transit.riders (user_id),
        operator_id uuid NOT NULL REFERENCES transit.operators (organization_id),
        route_id uuid NOT NULL REFERENCES transit.routes (id),
        vehicle_id uuid REFERENCES transit.vehicles (id),
        source text NOT NULL CHECK (source IN ('TAP', 'SCAN')),
        method text NOT NULL DEFAULT 'WALLET',
        status text NOT NULL CHECK (status IN ('PENDING_TAP_OUT', 'CHARGED', 'UNPAID', 'PENDING', 'FAILED')),
        boarded_at timestamptz NOT NULL,
        alighted_at timestamptz,
        stop_in int,
        stop_out int,
        fare bigint CHECK (fare >= 0),
        currency char(3) NOT NULL,
        fare_breakdown jsonb,
        charged_at timestamptz,
        ledger_reference text UNIQUE,
        payment_order_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT trips_charged CHECK (status <> 'CHARGED' OR (fare IS NOT NULL AND charged_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX trips_rider ON transit.trips (rider_user_id, boarded_at DESC, id DESC)`);
    await q.query(`CREATE INDEX trips_open ON transit.trips (boarded_at) WHERE status = 'PENDING_TAP_OUT'`);
    await q.query(`CREATE INDEX trips_unpaid ON transit.trips (rider_user_id) WHERE status = 'UNPAID'`);
    await q.query(`CREATE INDEX trips_settlement ON transit.trips (operator_id, charged_at) WHERE status = 'CHARGED'`);
    await q.query(`
      CREATE TABLE transit.taps (
        device_id uuid NOT NULL,
        tap_id uuid NOT NULL,
        operator_id uuid NOT NULL REFERENCES transit.operators (organization_id),
        scanned_at timestamptz,
        direction text,
        status text NOT NULL CHECK (status IN ('CHARGED', 'PENDING_TAP_OUT', 'UNPAID', 'REJECTED', 'PROCESSING')),
        reason text,
        fare bigint,
        currency char(3),
        trip_id uuid REFERENCES transit.trips (id),
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (device_id, tap_id)
      )`);
    await q.query(`
      CREATE TABLE transit.code_uses (
        use_key text PRIMARY KEY,
        device_id uuid,
        tap_id uuid,
        trip_id uuid,
        used_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE transit.blocklist_changes (
        version bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        rider_ref text NOT NULL,
        blocked boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA transit CASCADE`);
  }
}
