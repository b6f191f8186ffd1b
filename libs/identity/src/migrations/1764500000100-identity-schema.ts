import type { MigrationInterface, QueryRunner } from 'typeorm';
import { moveToPublic, moveToSchema, type SchemaObjects } from '@app/database';

const OBJECTS: SchemaObjects = {
  tables: ['users', 'auth_sessions', 'refresh_tokens', 'organizations', 'role_grants', 'devices', 'device_signatures', 'login_throttle', 'audit_events'],
  functions: ['audit_events_append_only()'],
};

/** Identity's tables move from `public` into the `identity` schema, rows and all. */
export class IdentitySchema1764500000100 implements MigrationInterface {
  name = 'IdentitySchema1764500000100';

  async up(q: QueryRunner): Promise<void> {
    await moveToSchema(q, 'identity', OBJECTS);
  }

  async down(q: QueryRunner): Promise<void> {
    await moveToPublic(q, 'identity', OBJECTS);
  }
}
