import { Body, Controller, Get, Headers, HttpCode, Logger, Module, Param, Post, Query } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsArray, IsInt, IsOptional, IsString, Min, MinLength, ValidateNested } from 'class-validator';
import { DataSource } from 'typeorm';
import { BodyLimit, DomainError, Public } from '@app/common';

class NestedDto {
  @IsString()
  code: string;
}

class EchoDto {
  @IsString()
  @MinLength(2)
  name: string;

  @IsInt()
  @Min(1)
  count: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => NestedDto)
  nested?: NestedDto;
}

class BulkDto {
  @IsArray()
  @IsString({ each: true })
  items: string[];
}

class SecretsDto {
  @IsString()
  password: string;

  @IsString()
  idNumber: string;
}

/** Test-only routes that exercise the request pipeline. Mounted by tests, never by the app. */
@Public()
@Controller('probe')
class ProbeController {
  private readonly logger = new Logger('Probe');

  constructor(private readonly dataSource: DataSource) {}

  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: EchoDto): EchoDto {
    return body;
  }

  @Post('bulk')
  @HttpCode(200)
  @BodyLimit(4 * 1024 * 1024)
  bulk(@Body() body: BulkDto): { count: number } {
    return { count: body.items.length };
  }

  @Get('items/:id')
  item(@Param('id') id: string): { id: string } {
    return { id };
  }

  @Get('crash')
  crash(): never {
    throw new Error('boom: secret detail at /srv/app.ts');
  }

  @Get('sql')
  async sql(): Promise<unknown> {
    return this.dataSource.query(`SELECT * FROM table_that_does_not_exist WHERE secret = $1`, ['hunter2-bound-value']);
  }

  @Get('cast')
  async cast(@Query('value') value: string): Promise<unknown> {
    return this.dataSource.query(`SELECT $1::int AS n`, [value]);
  }

  @Get('domain')
  domain(): never {
    throw new DomainError('PROBE_REFUSED', 422, 'The probe refuses');
  }

  @Post('secrets')
  @HttpCode(204)
  secrets(@Body() body: SecretsDto, @Headers('authorization') authorization: string): void {
    this.logger.log(
      { user: body, secret: 'device-secret-value', req: { headers: { authorization } } },
      'probe secrets',
    );
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
