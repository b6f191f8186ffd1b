import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users (real name), sessions and rotating refresh tokens, organisations,
 * role grants, devices (secrets encrypted at rest), the device-signature
 * replay store, the login throttle, and the append-only audit log.
 */
export class Identity1763700100000 implements MigrationInterface {
  name = 'Identity1763700100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        phone text NOT NULL UNIQUE CHECK (phone ~ '^\\+[1-9][0-9]{6,14}$'),
        password_hash text NOT NULL,
        display_name text CHECK (char_length(display_name) <= 64),
        kyc_level smallint NOT NULL DEFAULT 0 CHECK (kyc_level IN (0, 1)),
        real_full_name text,
        id_type text CHECK (id_type IN ('PRC_ID', 'HK_MO_PERMIT', 'PASSPORT')),
        id_number_masked text,
        id_number_hash bytea UNIQUE,
        kyc_verified_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_kyc_complete CHECK (
          (kyc_level = 0 AND id_number_hash IS NULL)
          OR (kyc_level = 1 AND real_full_name IS NOT NULL)
        ),
        CONSTRAINT users_id_complete CHECK (
          (id_number_hash IS NULL) = (id_type IS NULL) AND (id_type IS NULL) = (id_number_masked IS NULL)
        )
      )`);
    await q.query(`CREATE TRIGGER users_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at()`);

    await q.query(`
      CREATE TABLE auth_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        revoke_reason text CHECK (revoke_reason IN ('LOGOUT', 'REFRESH_TOKEN_REUSE', 'ADMIN'))
      )`);
    await q.query(`CREATE INDEX auth_sessions_user ON auth_sessions (user_id)`);

    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES auth_sessions(id),
        parent_id uuid REFERENCES refresh_tokens(id),
        token_hash bytea NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        spent_at timestamptz
      )`);
    await q.query(`CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)`);

    await q.query(`
      CREATE TABLE organizations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
        kind text NOT NULL CHECK (kind IN ('BILLER', 'TRANSIT_OPERATOR', 'UNIVERSITY', 'MERCHANT')),
        biller_category text CHECK (biller_category IN ('ELECTRICITY', 'WATER', 'GAS', 'HEATING', 'CABLE_TV', 'BROADBAND')),
        biller_allows_partial boolean NOT NULL DEFAULT false,
        biller_allows_advance boolean NOT NULL DEFAULT false,
        university_id uuid REFERENCES organizations(id),
        merchant_category text CHECK (merchant_category IN ('CANTEEN', 'SHOP', 'LAUNDRY', 'PRINTING', 'LIBRARY', 'OTHER')),
        currency char(3) NOT NULL DEFAULT 'CNY' CHECK (currency IN ('CNY', 'HKD', 'MOP')),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT organizations_biller CHECK ((kind = 'BILLER') = (biller_category IS NOT NULL)),
        CONSTRAINT organizations_biller_rules CHECK (kind = 'BILLER' OR NOT (biller_allows_partial OR biller_allows_advance)),
        CONSTRAINT organizations_merchant CHECK (kind = 'MERCHANT' OR (university_id IS NULL AND merchant_category IS NULL))
      )`);
    await q.query(`CREATE INDEX organizations_kind ON organizations (kind, biller_category)`);

    await q.query(`
      CREATE TABLE role_grants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id),
        role text NOT NULL CHECK (role IN ('PLATFORM_ADMIN', 'ORG_ADMIN', 'ORG_OPERATOR')),
        organization_id uuid REFERENCES organizations(id),
        granted_by uuid REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT role_grants_scope CHECK ((role = 'PLATFORM_ADMIN') = (organization_id IS NULL))
      )`);
    await q.query(`
      CREATE UNIQUE INDEX role_grants_unique ON role_grants
        (user_id, role, COALESCE(organization_id, '00000000-0000-0000-0000-000000000000'::uuid))`);
    await q.query(`CREATE INDEX role_grants_org ON role_grants (organization_id)`);

    await q.query(`
      CREATE TABLE devices (
        id uuid PRIMARY KEY,
        organization_id uuid NOT NULL REFERENCES organizations(id),
        kind text NOT NULL CHECK (kind IN ('BUS_READER', 'POS')),
        label text NOT NULL CHECK (char_length(label) BETWEEN 1 AND 100),
        secret_sealed bytea NOT NULL,
        created_by uuid REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX devices_org ON devices (organization_id)`);

    await q.query(`
      CREATE TABLE device_signatures (
        device_id uuid NOT NULL REFERENCES devices(id),
        signature text NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (device_id, signature)
      )`);
    await q.query(`CREATE INDEX device_signatures_expiry ON device_signatures (expires_at)`);

    await q.query(`
      CREATE TABLE login_throttle (
        phone text PRIMARY KEY,
        window_started_at timestamptz NOT NULL,
        attempts integer NOT NULL CHECK (attempts >= 0)
      )`);

    await q.query(`
      CREATE TABLE audit_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        action text NOT NULL,
        actor_user_id uuid,
        actor_device_id uuid,
        target_type text,
        target_id text,
        request_id text,
        ip text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query(`CREATE INDEX audit_events_action ON audit_events (action, id)`);
    await q.query(`CREATE INDEX audit_events_target ON audit_events (target_type, target_id)`);
    await q.query(`
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`);
    await q.query(`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'audit_events',
      'login_throttle',
      'device_signatures',
      'devices',
      'role_grants',
      'organizations',
      'refresh_tokens',
      'auth_sessions',
      'users',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS audit_events_append_only()`);
  }
}
