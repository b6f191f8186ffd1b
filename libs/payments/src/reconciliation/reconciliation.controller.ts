import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { PlatformAdmin } from '@app/common';
import { ReconciliationService } from './reconciliation.service.js';
import type { ReconciliationReport } from './reconciliation.service.js';

export class ReconciliationDateDto {
  @ApiProperty({ format: 'date', example: '2026-11-21', description: 'an Asia/Shanghai business day, YYYY-MM-DD' })
  @Matches(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, { message: 'date must be a day, YYYY-MM-DD (Asia/Shanghai)' })
  date: string;
}

@ApiTags('admin')
@ApiBearerAuth()
@PlatformAdmin()
@Controller('v1/admin/reconciliation')
export class ReconciliationController {
  constructor(private readonly reconciliation: ReconciliationService) {}

  /** The stored findings of a business day (the daily job fills them; a run below refreshes them). */
  @Get()
  report(@Query() q: ReconciliationDateDto): Promise<ReconciliationReport> {
    return this.reconciliation.report(q.date);
  }

  /** Reconciles a day now (also `npm run reconcile -- --date YYYY-MM-DD`). Rerunning replaces that day's findings. */
  @Post('runs')
  run(@Body() body: ReconciliationDateDto): Promise<ReconciliationReport> {
    return this.reconciliation.run(body.date);
  }
}
