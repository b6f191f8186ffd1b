import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { NotFoundError, type RequestMeta, UUID } from '@app/common';
import { IdentityConfig } from '../identity.config.js';
import { AuditService } from '../audit/audit.service.js';
import { signaturesMatch, signDeviceRequest } from '../domain/device-signature.js';
import { SecretBox } from '../domain/secret-box.js';
import { DeviceAuthFailedError, DeviceKindNotAllowedError } from '../identity.errors.js';
import type { AuthenticatedDevice, DeviceKind, OrganizationKind } from '../identity.types.js';
import { returnedRows } from '@app/database';

export interface DeviceView {
  id: string;
  organizationId: string;
  kind: DeviceKind;
  label: string;
  status: 'ACTIVE' | 'REVOKED';
  createdAt: string;
  revokedAt?: string;
}

interface DeviceRow {
  id: string;
  organization_id: string;
  kind: DeviceKind;
  label: string;
  secret_sealed: Buffer;
  created_at: Date;
  revoked_at: Date | null;
}

/** Which organisations run which devices. */
const DEVICE_OWNERS: Record<DeviceKind, OrganizationKind> = { BUS_READER: 'TRANSIT_OPERATOR', POS: 'MERCHANT' };

function toView(r: DeviceRow): DeviceView {
  return {
    id: r.id,
    organizationId: r.organization_id,
    kind: r.kind,
    label: r.label,
    status: r.revoked_at ? 'REVOKED' : 'ACTIVE',
    createdAt: r.created_at.toISOString(),
    ...(r.revoked_at ? { revokedAt: r.revoked_at.toISOString() } : {}),
  };
}

export interface SignedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody?: Buffer | string;
}

@Injectable()
export class DevicesService {
  private readonly logger = new Logger('DeviceAuth');
  private readonly box: SecretBox;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
  ) {
    this.box = new SecretBox(config.DEVICE_SECRET_KEY!);
  }

  /** Creates a device; its 32-byte secret is returned here only, and kept encrypted. */
  async create(
    organizationId: string,
    kind: DeviceKind,
    label: string,
    actorUserId: string,
    meta: RequestMeta,
  ): Promise<DeviceView & { secret: string }> {
    return this.dataSource.transaction(async (m) => {
      const [org] = (await m.query(`SELECT kind FROM identity.organizations WHERE id = $1`, [organizationId])) as { kind: OrganizationKind }[];
      if (!org) throw new NotFoundError('No such organisation');
      if (DEVICE_OWNERS[kind] !== org.kind) throw new DeviceKindNotAllowedError(kind, org.kind);
      const id = randomUUID();
      const secret = randomBytes(32).toString('hex');
      const [row] = (await m.query(
        `INSERT INTO identity.devices (id, organization_id, kind, label, secret_sealed, created_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [id, organizationId, kind, label.trim(), this.box.seal(secret, `device:${id}`), actorUserId],
      )) as DeviceRow[];
      await this.audit.record(
        { action: 'DEVICE_CREATED', actorUserId, targetType: 'device', targetId: id, details: { organizationId, kind }, meta },
        m,
      );
      return { ...toView(row), secret };
    });
  }

  /** Revokes a device of this organisation (idempotent); 404 for a device of another one. */
  async revoke(organizationId: string, deviceId: string, actorUserId: string, meta: RequestMeta): Promise<void> {
    if (!UUID.test(deviceId)) throw new NotFoundError('No such device');
    await this.dataSource.transaction(async (m) => {
      const revoked = returnedRows(
        await m.query(
          `UPDATE identity.devices SET revoked_at = now() WHERE id = $1 AND organization_id = $2 AND revoked_at IS NULL RETURNING id`,
          [deviceId, organizationId],
        ),
      );
      if (revoked.length > 0) {
        await this.audit.record(
          { action: 'DEVICE_REVOKED', actorUserId, targetType: 'device', targetId: deviceId, details: { organizationId }, meta },
          m,
        );
        return;
      }
      const [exists] = (await m.query(`SELECT 1 FROM identity.devices WHERE id = $1 AND organization_id = $2`, [deviceId, organizationId])) as unknown[];
      if (!exists) throw new NotFoundError('No such device');
    });
  }

  async list(organizationId: string): Promise<DeviceView[]> {
    const rows = (await this.dataSource.query(
      `SELECT * FROM identity.devices WHERE organization_id = $1 ORDER BY created_at, id`,
      [organizationId],
    )) as DeviceRow[];
    return rows.map(toView);
  }

  /**
   * Verifies X-Device-Id / X-Device-Timestamp / X-Device-Signature (api.md):
   * known, unrevoked device; timestamp within the allowed skew; HMAC over
   * method, path with query, timestamp and body hash, compared in constant
   * time; and each signature accepted once (kept for twice the skew window).
   * Every refusal is the same 401 DEVICE_AUTH_FAILED; the reason is logged.
   */
  async authenticate(req: SignedRequest): Promise<AuthenticatedDevice> {
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? undefined : v;
    };
    const deviceId = header('x-device-id');
    const timestamp = header('x-device-timestamp');
    const signature = header('x-device-signature');
    const refuse = (reason: string): never => {
      this.logger.warn({ deviceId, reason }, 'device request refused');
      throw new DeviceAuthFailedError();
    };
    if (!deviceId || !timestamp || !signature) return refuse('missing X-Device-* headers');
    if (!UUID.test(deviceId)) return refuse('malformed device id');
    if (!/^\d{1,16}$/.test(timestamp)) return refuse('malformed timestamp');
    if (Math.abs(Date.now() - Number(timestamp)) > this.config.DEVICE_CLOCK_SKEW_MS) return refuse('timestamp outside the allowed skew');

    const [row] = (await this.dataSource.query(
      `SELECT d.*, o.kind AS organization_kind FROM identity.devices d JOIN identity.organizations o ON o.id = d.organization_id WHERE d.id = $1`,
      [deviceId],
    )) as (DeviceRow & { organization_kind: OrganizationKind })[];
    if (!row) return refuse('unknown device');
    if (row.revoked_at) return refuse('device revoked');

    let secret: string;
    try {
      secret = this.box.open(row.secret_sealed, `device:${row.id}`);
    } catch {
      return refuse('stored secret does not decrypt (key changed or row corrupt)');
    }
    const expected = signDeviceRequest(secret, req.method, req.url, timestamp, req.rawBody ?? '');
    if (!signaturesMatch(expected, signature)) return refuse('bad signature');

    const fresh = (await this.dataSource.query(
      `INSERT INTO identity.device_signatures (device_id, signature, expires_at)
       VALUES ($1, $2, now() + make_interval(secs => $3)) ON CONFLICT DO NOTHING RETURNING 1`,
      [row.id, signature, (2 * this.config.DEVICE_CLOCK_SKEW_MS) / 1000],
    )) as unknown[];
    if (fresh.length === 0) return refuse('signature replayed');

    return {
      kind: 'device',
      id: row.id,
      deviceKind: row.kind,
      label: row.label,
      organizationId: row.organization_id,
      organizationKind: row.organization_kind,
    };
  }
}
