import { Global, Module } from '@nestjs/common';
import { AuditTrail, UserDirectory } from '@app/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { IdentityConfig } from './identity.config.js';
import { AdminBootstrapService } from './admin-bootstrap.service.js';
import { AuditController } from './audit/audit.controller.js';
import { AuditService } from './audit/audit.service.js';
import { AuthController } from './auth/auth.controller.js';
import { AuthService } from './auth/auth.service.js';
import { AuthenticationGuard, LocalAuthGuard } from './auth/guards.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { LoginThrottleRepository } from './auth/login-throttle.repository.js';
import { SessionsRepository } from './auth/sessions.repository.js';
import { MeController } from './auth/me.controller.js';
import { PasswordHasher } from './auth/password-hasher.js';
import { CallerCache } from './auth/caller-cache.js';
import { CallerChanges } from './auth/caller-changes.js';
import { DeviceStrategy, LocalStrategy } from './auth/strategies.js';
import { TokensService } from './auth/tokens.service.js';
import { DeviceSelfController } from './devices/device-self.controller.js';
import { DevicesService } from './devices/devices.service.js';
import { IdentityMaintenance } from './identity-maintenance.js';
import { RealNameService } from './kyc/real-name.service.js';
import { AdminOrganizationsController, OrganizationsController } from './orgs/organizations.controller.js';
import { OrganizationProfiles } from './orgs/organization-profiles.js';
import { OrganizationsService } from './orgs/organizations.service.js';
import { identityEntities } from './entities/index.js';
import { identityMigrations } from './migrations/index.js';
import { AuditRepository } from './audit/audit.repository.js';
import { DevicesRepository } from './devices/devices.repository.js';
import { HousekeepingRepository } from './housekeeping.repository.js';
import { OrganizationsRepository } from './orgs/organizations.repository.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

/**
 * Identity and access for every module: accounts, tokens, real name,
 * organisations and staff, devices, audit. Its one global guard
 * authenticates (fail closed), then authorises. (The per-IP rate limit runs
 * before it, in Fastify: installIpRateLimit.)
 */
// global for the ports it implements (AuditTrail, UserDirectory): contexts below identity use them without importing it
@Global()
@Module({
  imports: [
    PassportModule,
    JwtModule.registerAsync({
      inject: [IdentityConfig],
      useFactory: (config: IdentityConfig) => ({
        secret: config.JWT_SECRET!,
        signOptions: {
          algorithm: 'HS256',
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
          expiresIn: config.ACCESS_TOKEN_TTL_SECONDS,
        },
        verifyOptions: { algorithms: ['HS256'], issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
      }),
    }),
  ],
  controllers: [AuthController, MeController, AdminOrganizationsController, OrganizationsController, DeviceSelfController, AuditController],
  providers: [
    { provide: APP_GUARD, useClass: AuthenticationGuard },
    AuditRepository,
    UsersRepository,
    OrganizationsRepository,
    DevicesRepository,
    HousekeepingRepository,
    AuditService,
    UsersService,
    PasswordHasher,
    LoginThrottle,
    LoginThrottleRepository,
    SessionsRepository,
    TokensService,
    CallerCache,
    CallerChanges,
    AuthService,
    RealNameService,
    OrganizationsService,
    OrganizationProfiles,
    DevicesService,
    LocalStrategy,
    DeviceStrategy,
    LocalAuthGuard,
    AdminBootstrapService,
    IdentityMaintenance,
    { provide: AuditTrail, useExisting: AuditService },
    { provide: UserDirectory, useExisting: UsersService },
  ],
  exports: [AuditService, UsersService, OrganizationsService, OrganizationProfiles, DevicesService, AuditTrail, UserDirectory],
})
export class IdentityModule {
  static readonly schema = 'identity';
  static readonly config = IdentityConfig;
  static readonly migrations = identityMigrations;
  static readonly entities = identityEntities;
}
