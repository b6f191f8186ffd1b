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
import type { DeviceEntity } from '../entities/device.entity.js';
import { OrganizationsRepository } from '../orgs/organizations.repository.js';
import { DevicesRepository } from './devices.repository.js';

export interface DeviceView {
  id: string;
  organizationId: string;
  kind: DeviceKind;
  label: string;
  status: 'ACTIVE' | 'REVOKED';
  createdAt: string;
  revokedAt?: string;
}

/** Which organisations run which devices. */
const DEVICE_OWNERS: Record<DeviceKind, OrganizationKind> = { BUS_READER: 'TRANSIT_OPERATOR', POS: 'MERCHANT' };

function toView(r: DeviceEntity): DeviceView {
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

/** How many devices a process remembers (see DevicesService.known). */
const KNOWN_DEVICES_LIMIT = 10_000;

/** A device as a request's signature needs it: its opened secret, the sealed one it came from, who it is. */
interface KnownDevice {
  secret: string;
  sealed: Buffer;
  device: AuthenticatedDevice;
}

@Injectable()
export class DevicesService {
  private readonly logger = new Logger('DeviceAuth');
  private readonly box: SecretBox;
  /**
   * Devices this process authenticated, by id (bounded, oldest forgotten
   * first): their secret is opened once, not at every request. An entry
   * never decides alone: the statement that records the signature (single
   * use) also checks in the database that the device is still unrevoked and
   * still holds the sealed secret the entry was opened from, so a
   * revocation stops the device at once in every process. Any refusal with
   * an entry forgets it and decides again on the stored row.
   */
  private readonly known = new Map<string, KnownDevice>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
    private readonly devices: DevicesRepository,
    private readonly orgs: OrganizationsRepository,
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
      const org = await this.orgs.byId(m, organizationId);
      if (!org) throw new NotFoundError('No such organisation');
      if (DEVICE_OWNERS[kind] !== org.kind) throw new DeviceKindNotAllowedError(kind, org.kind);
      const id = randomUUID();
      const secret = randomBytes(32).toString('hex');
      const row = await this.devices.insert(m, {
        id,
        organization_id: organizationId,
        kind,
        label: label.trim(),
        secret_sealed: this.box.seal(secret, `device:${id}`),
        created_by: actorUserId,
      });
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
    // (a remembered device is checked against its row at every request anyway)
    this.known.delete(deviceId);
    await this.dataSource.transaction(async (m) => {
      if (await this.devices.revoke(m, organizationId, deviceId)) {
        await this.audit.record(
          { action: 'DEVICE_REVOKED', actorUserId, targetType: 'device', targetId: deviceId, details: { organizationId }, meta },
          m,
        );
        return;
      }
      if (!(await this.devices.exists(m, organizationId, deviceId))) throw new NotFoundError('No such device');
    });
  }

  async list(organizationId: string): Promise<DeviceView[]> {
    return (await this.devices.list(this.dataSource.manager, organizationId)).map(toView);
  }

  /**
   * Verifies X-Device-Id / X-Device-Timestamp / X-Device-Signature (api.md):
   * known, unrevoked device; timestamp within the allowed skew; HMAC over
   * method, path with query, timestamp and body hash, compared in constant
   * time; and each signature accepted once (kept for twice the skew window).
   * Every refusal is the same 401 DEVICE_AUTH_FAILED; the reason is logged.
   * A device this process knows (see `known`) costs one statement: the
   * signature recorded on condition that the device is unrevoked and its
   * secret unchanged; otherwise two (the device's row, then the signature).
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
    const keepSeconds = (2 * this.config.DEVICE_CLOCK_SKEW_MS) / 1000;

    const known = this.known.get(deviceId);
    if (known) {
      const expected = signDeviceRequest(known.secret, req.method, req.url, timestamp, req.rawBody ?? '');
      if (signaturesMatch(expected, signature) && (await this.devices.acceptSignatureOnceIfCurrent(this.dataSource.manager, deviceId, signature, keepSeconds, known.sealed))) {
        return { ...known.device };
      }
      // a bad signature, a replay, or the device revoked or changed: decided again below on its row
      this.known.delete(deviceId);
    }

    const row = await this.devices.withOrganizationKind(this.dataSource.manager, deviceId);
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

    const fresh = await this.devices.acceptSignatureOnce(this.dataSource.manager, row.id, signature, keepSeconds);
    if (!fresh) return refuse('signature replayed');

    const device: AuthenticatedDevice = {
      kind: 'device',
      id: row.id,
      deviceKind: row.kind,
      label: row.label,
      organizationId: row.organization_id,
      organizationKind: row.organization_kind,
    };
    if (this.known.size >= KNOWN_DEVICES_LIMIT) this.known.delete(this.known.keys().next().value!);
    this.known.set(row.id, { secret, sealed: row.secret_sealed, device });
    return { ...device };
  }
}
