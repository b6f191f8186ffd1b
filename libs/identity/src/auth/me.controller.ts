import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ReqMeta, type RequestMeta } from '@app/common';
import { RealNameDto } from '../dto/auth.dto.js';
import type { AuthenticatedUser } from '../identity.types.js';
import { RealNameService } from '../kyc/real-name.service.js';
import { UsersService, type UserView } from '../users.service.js';
import { CurrentUser } from '@app/common';

@ApiTags('identity')
@ApiBearerAuth()
@Controller('v1/me')
export class MeController {
  constructor(
    private readonly users: UsersService,
    private readonly realName: RealNameService,
  ) {}

  @Get()
  me(@CurrentUser() user: AuthenticatedUser): Promise<UserView> {
    return this.users.view(user.id);
  }

  @Post('real-name')
  @HttpCode(200)
  verify(@Body() body: RealNameDto, @CurrentUser() user: AuthenticatedUser, @ReqMeta() meta: RequestMeta): Promise<UserView> {
    return this.realName.verify(user.id, body.fullName, body.idType, body.idNumber, meta);
  }
}
