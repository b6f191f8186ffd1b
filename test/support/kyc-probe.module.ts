import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { CurrentUser, RequireKyc } from '@app/identity';
import type { AuthenticatedUser } from '@app/identity';

/** A stand-in money-moving route, to test @RequireKyc() before the money modules exist. */
@Controller('probe/kyc')
class KycProbeController {
  @Post()
  @HttpCode(200)
  @RequireKyc()
  move(@CurrentUser() user: AuthenticatedUser): { userId: string } {
    return { userId: user.id };
  }
}

@Module({ controllers: [KycProbeController] })
export class KycProbeModule {}
