import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig, configSections } from './app-config.js';

/**
 * Makes the validated AppConfig and every section validated with it
 * (IdentityConfig, PaymentsConfig, ...) injectable everywhere by their
 * classes, and mirrors the whole into @nestjs/config's ConfigService for
 * libraries that expect one.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const sections = [...configSections(config)].map(([cls, value]) => ({ provide: cls, useValue: value }));
    return {
      module: AppConfigModule,
      imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ ...config })] })],
      providers: [{ provide: AppConfig, useValue: config }, ...sections],
      exports: [AppConfig, ...sections.map((s) => s.provide)],
    };
  }
}
