import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { affectedRows, returnedRows } from '@app/database';
import { DeviceEntity } from '../entities/device.entity.js';
import type { OrganizationKind } from '../identity.types.js';

export type NewDevice = Pick<DeviceEntity, 'id' | 'organization_id' | 'kind' | 'label' | 'secret_sealed' | 'created_by'>;

/** Data access of devices and the replay store of their signatures (schema identity). */
@Injectable()
export class DevicesRepository {
  async insert(m: EntityManager, device: NewDevice): Promise<DeviceEntity> {
    const [row] = (await m.query(
      `INSERT INTO identity.devices (id, organization_id, kind, label, secret_sealed, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [device.id, device.organization_id, device.kind, device.label, device.secret_sealed, device.created_by],
    )) as DeviceEntity[];
    return row;
  }

  /** Revokes it unless revoked already (conditional update); true when this call revoked it. */
  async revoke(m: EntityManager, organizationId: string, deviceId: string): Promise<boolean> {
    const revoked = returnedRows(
      await m.query(`UPDATE identity.devices SET revoked_at = now() WHERE id = $1 AND organization_id = $2 AND revoked_at IS NULL RETURNING id`, [
        deviceId,
        organizationId,
      ]),
    );
    return revoked.length > 0;
  }

  async exists(m: EntityManager, organizationId: string, deviceId: string): Promise<boolean> {
    return m.existsBy(DeviceEntity, { id: deviceId, organization_id: organizationId });
  }

  /** An organisation's devices, oldest first. */
  list(m: EntityManager, organizationId: string): Promise<DeviceEntity[]> {
    return m.find(DeviceEntity, { where: { organization_id: organizationId }, order: { created_at: 'ASC', id: 'ASC' } });
  }

  /** A device with the kind of its organisation, for signed requests (one query). */
  async withOrganizationKind(m: EntityManager, deviceId: string): Promise<(DeviceEntity & { organization_kind: OrganizationKind }) | undefined> {
    const [row] = (await m.query(
      `SELECT d.*, o.kind AS organization_kind FROM identity.devices d JOIN identity.organizations o ON o.id = d.organization_id WHERE d.id = $1`,
      [deviceId],
    )) as (DeviceEntity & { organization_kind: OrganizationKind })[];
    return row;
  }

  /** Records a signature as seen until it expires; false when it was seen already (a replay). */
  async acceptSignatureOnce(m: EntityManager, deviceId: string, signature: string, keepSeconds: number): Promise<boolean> {
    const fresh = (await m.query(
      `INSERT INTO identity.device_signatures (device_id, signature, expires_at)
       VALUES ($1, $2, now() + make_interval(secs => $3)) ON CONFLICT DO NOTHING RETURNING 1`,
      [deviceId, signature, keepSeconds],
    )) as unknown[];
    return fresh.length > 0;
  }

  /**
   * acceptSignatureOnce() for a device whose row was read before: records the signature only while the device is
   * unrevoked and still holds `sealed` (its secret as read); false otherwise, or when the signature was seen already.
   */
  async acceptSignatureOnceIfCurrent(m: EntityManager, deviceId: string, signature: string, keepSeconds: number, sealed: Buffer): Promise<boolean> {
    const fresh = (await m.query(
      `INSERT INTO identity.device_signatures (device_id, signature, expires_at)
       SELECT d.id, $2, now() + make_interval(secs => $3) FROM identity.devices d
        WHERE d.id = $1 AND d.revoked_at IS NULL AND d.secret_sealed = $4
       ON CONFLICT DO NOTHING RETURNING 1`,
      [deviceId, signature, keepSeconds, sealed],
    )) as unknown[];
    return fresh.length > 0;
  }

  async deleteExpiredSignatures(m: EntityManager): Promise<number> {
    return affectedRows(await m.query(`DELETE FROM identity.device_signatures WHERE expires_at < now()`));
  }
}
