import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public, ReqMeta, type RequestMeta } from '@app/common';
import { LoginDto, RefreshDto, RegisterDto } from '../dto/auth.dto.js';
import type { AuthenticatedUser } from '../identity.types.js';
import type { UserRow } from '../users.service.js';
import { type AuthResult, AuthService } from './auth.service.js';
import { CurrentUser } from '@app/common';
import { LocalAuthGuard } from './guards.js';
import { type TokenPair, TokensService } from './tokens.service.js';

@ApiTags('identity')
@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly tokens: TokensService,
  ) {}

  @Public()
  @Post('register')
  register(@Body() body: RegisterDto, @ReqMeta() meta: RequestMeta): Promise<AuthResult> {
    return this.auth.register(body.phone, body.password, body.displayName, meta);
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @UseGuards(LocalAuthGuard)
  login(@Body() _body: LoginDto, @Req() req: FastifyRequest & { user: UserRow }, @ReqMeta() meta: RequestMeta): Promise<AuthResult> {
    return this.auth.login(req.user, meta);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() body: RefreshDto, @ReqMeta() meta: RequestMeta): Promise<TokenPair> {
    return this.tokens.rotate(body.refreshToken, meta);
  }

  @ApiBearerAuth()
  @Post('logout')
  @HttpCode(204)
  async logout(@Body() body: RefreshDto, @CurrentUser() user: AuthenticatedUser, @ReqMeta() meta: RequestMeta): Promise<void> {
    await this.tokens.endSession(user.id, user.sessionId, body.refreshToken, meta);
  }
}
