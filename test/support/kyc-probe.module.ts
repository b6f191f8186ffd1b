import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Idempotent } from '@app/common';
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

/** A slow idempotent route with no effects but a unique answer, to observe in-flight duplicates. */
@Controller('probe/slow')
class SlowProbeController {
  @Post()
  @Idempotent({ effects: 'none' })
  async slow(): Promise<{ answer: string }> {
    await new Promise((r) => setTimeout(r, 400));
    return { answer: randomUUID() };
  }

  /** Claims transactional effects but never stores its response with them: a bug the interceptor must catch. */
  @Post('forgetful')
  @Idempotent()
  forgetful(): { answer: string } {
    return { answer: randomUUID() };
  }
}

@Module({ controllers: [KycProbeController, SlowProbeController] })
export class KycProbeModule {}
