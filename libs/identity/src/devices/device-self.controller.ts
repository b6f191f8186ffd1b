import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentDevice, DeviceAuth } from '@app/common';
import { DeviceHeartbeatDto } from '../dto/organization.dto.js';
import type { AuthenticatedDevice } from '../identity.types.js';

/** What a reader or POS can ask about itself: check its credentials and the server clock. */
@ApiTags('devices')
@Controller('v1/devices/me')
@DeviceAuth()
export class DeviceSelfController {
  @Get()
  me(@CurrentDevice() device: AuthenticatedDevice) {
    return { id: device.id, kind: device.deviceKind, label: device.label, organizationId: device.organizationId };
  }

  @Post('heartbeat')
  @HttpCode(200)
  heartbeat(@CurrentDevice() device: AuthenticatedDevice, @Body() _body: DeviceHeartbeatDto) {
    return { deviceId: device.id, serverTime: new Date().toISOString() };
  }
}
