import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { pendingMigrations } from './migrations.js';

/** Readiness: the database answers, and every migration this build knows is applied. */
@Injectable()
export class DatabaseHealthIndicator {
  private migrated = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly health: HealthIndicatorService,
  ) {}

  async database() {
    const check = this.health.check('database');
    try {
      await this.dataSource.query('SELECT 1');
      return check.up();
    } catch (err) {
      return check.down({ message: err instanceof Error ? err.message : 'unreachable' });
    }
  }

  async migrations() {
    const check = this.health.check('migrations');
    if (this.migrated) return check.up();
    try {
      const pending = await pendingMigrations(this.dataSource);
      if (pending.length === 0) {
        this.migrated = true;
        return check.up();
      }
      return check.down({ pending: pending.length });
    } catch {
      return check.down({ message: 'could not read the migrations table' });
    }
  }
}
