import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ReqMeta, type RequestMeta } from '@app/common';
import { type AuthenticatedUser, CurrentUser, PlatformAdmin } from '@app/identity';
import { PaycodeKeysService } from './paycode-keys.service.js';

@ApiTags('pay codes')
@ApiBearerAuth()
@Controller('v1/admin/paycode-keys')
@PlatformAdmin()
export class PaycodeKeysController {
  constructor(private readonly keys: PaycodeKeysService) {}

  /** api.md: new codes and credentials are signed with the new key; the old one stays in the JWKS until all it signed has expired. */
  @Post('rotate')
  @HttpCode(201)
  async rotate(@CurrentUser() user: AuthenticatedUser, @ReqMeta() meta: RequestMeta): Promise<{ kid: string }> {
    const { kid } = await this.keys.rotate({ actorUserId: user.id, meta });
    return { kid };
  }
}
