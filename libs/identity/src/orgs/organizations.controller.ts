import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { ReqMeta, type RequestMeta } from '@app/common';
import { CurrentUser, OrgRole, PlatformAdmin } from '@app/common';
import { DevicesService, type DeviceView } from '../devices/devices.service.js';
import { CreateDeviceDto, CreateOrganizationDto, GrantStaffDto, ListOrganizationsQuery } from '../dto/organization.dto.js';
import type { AuthenticatedUser } from '../identity.types.js';
import { OrganizationsService, type OrganizationView } from './organizations.service.js';

@ApiTags('organisations')
@ApiBearerAuth()
@Controller('v1/admin/organizations')
@PlatformAdmin()
export class AdminOrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post()
  // the body is validated by the service: identity's fields and those of the kind's profile (not known to the global pipe)
  @ApiBody({ type: CreateOrganizationDto, description: 'plus the fields of the kind\'s profile, e.g. billerCategory, billerAllowsPartial, billerAllowsAdvance (BILLER), universityId, merchantCategory (MERCHANT)' })
  create(@Body() body: Record<string, unknown>, @CurrentUser() user: AuthenticatedUser, @ReqMeta() meta: RequestMeta): Promise<OrganizationView> {
    return this.organizations.create(body, user.id, meta);
  }

  @Get()
  list(@Query() query: ListOrganizationsQuery): Promise<OrganizationView[]> {
    return this.organizations.list(query.kind);
  }
}

@ApiTags('organisations')
@ApiBearerAuth()
@Controller('v1/organizations/:orgId')
export class OrganizationsController {
  constructor(
    private readonly organizations: OrganizationsService,
    private readonly devices: DevicesService,
  ) {}

  @Get()
  @OrgRole(['ORG_ADMIN', 'ORG_OPERATOR'], { allowPlatformAdmin: true })
  get(@Param('orgId') orgId: string): Promise<OrganizationView> {
    return this.organizations.get(orgId);
  }

  @Post('staff')
  @OrgRole('ORG_ADMIN', { allowPlatformAdmin: true })
  grantStaff(
    @Param('orgId') orgId: string,
    @Body() body: GrantStaffDto,
    @CurrentUser() user: AuthenticatedUser,
    @ReqMeta() meta: RequestMeta,
  ): Promise<{ userId: string; organizationId: string; role: string }> {
    return this.organizations.grantStaff(orgId, body.phone, body.role, user.id, meta);
  }

  @Post('devices')
  @OrgRole('ORG_ADMIN')
  createDevice(
    @Param('orgId') orgId: string,
    @Body() body: CreateDeviceDto,
    @CurrentUser() user: AuthenticatedUser,
    @ReqMeta() meta: RequestMeta,
  ): Promise<DeviceView & { secret: string }> {
    return this.devices.create(orgId, body.kind, body.label, user.id, meta);
  }

  @Get('devices')
  @OrgRole(['ORG_ADMIN', 'ORG_OPERATOR'])
  listDevices(@Param('orgId') orgId: string): Promise<DeviceView[]> {
    return this.devices.list(orgId);
  }

  @Post('devices/:deviceId/revoke')
  @HttpCode(204)
  @OrgRole('ORG_ADMIN')
  async revokeDevice(
    @Param('orgId') orgId: string,
    @Param('deviceId') deviceId: string,
    @CurrentUser() user: AuthenticatedUser,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.devices.revoke(orgId, deviceId, user.id, meta);
  }
}
