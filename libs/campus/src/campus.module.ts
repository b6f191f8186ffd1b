import { Module } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { IdentityModule, OrganizationProfiles } from '@app/identity';
import { MerchantProfile, UniversityProfile } from './campus-profiles.js';
import { campusMigrations } from './migrations/index.js';

/** Registers the university and campus-merchant profiles of organisations. */
class CampusProfiles implements OnModuleInit {
  constructor(private readonly profiles: OrganizationProfiles) {}

  onModuleInit(): void {
    this.profiles.register(new UniversityProfile());
    this.profiles.register(new MerchantProfile());
  }
}

/**
 * Campus card (api.md, campus): so far what a university and a campus
 * merchant are beyond an organisation (schema `campus`). The campus card
 * itself comes later, in this module.
 */
@Module({
  imports: [IdentityModule],
  providers: [{ provide: CampusProfiles, inject: [OrganizationProfiles], useFactory: (p: OrganizationProfiles) => new CampusProfiles(p) }],
})
export class CampusModule {
  static readonly schema = 'campus';
  static readonly migrations = campusMigrations;
}
