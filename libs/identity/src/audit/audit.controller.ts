import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { decodeSequenceCursor, DEFAULT_PAGE_SIZE, type Page, PageQuery, toPage, OptionalField } from '@app/common';
import { PlatformAdmin } from '@app/common';
import { type AuditEventView, AuditService } from './audit.service.js';

class AuditQuery extends PageQuery {
  @ApiPropertyOptional()
  @OptionalField()
  @IsString()
  @MaxLength(64)
  action?: string;

  @ApiPropertyOptional()
  @OptionalField()
  @IsString()
  @MaxLength(200)
  targetId?: string;
}

@ApiTags('operations')
@ApiBearerAuth()
@Controller('v1/admin/audit-events')
@PlatformAdmin()
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  async list(@Query() q: AuditQuery): Promise<Page<AuditEventView>> {
    const limit = q.limit ?? DEFAULT_PAGE_SIZE;
    const before = decodeSequenceCursor(q.cursor);
    const rows = await this.audit.list({ limit: limit + 1, before, action: q.action, targetId: q.targetId });
    return toPage(rows, limit, (last) => ({ id: last.id }));
  }
}
