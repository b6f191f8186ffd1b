import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn } from 'class-validator';
import { OptionalField, PageQuery } from '@app/common';
import { NOTIFICATION_LANGUAGES, NOTIFICATION_TYPES } from '../domain/notification-types.js';
import type { NotificationLanguage } from '../domain/notification-types.js';

export class LanguageQuery {
  @ApiPropertyOptional({ enum: NOTIFICATION_LANGUAGES, description: 'language of title and body; default from Accept-Language, zh-CN first' })
  @OptionalField()
  @IsIn(NOTIFICATION_LANGUAGES)
  lang?: NotificationLanguage;
}

export class NotificationsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: NOTIFICATION_LANGUAGES, description: 'language of title and body; default from Accept-Language, zh-CN first' })
  @OptionalField()
  @IsIn(NOTIFICATION_LANGUAGES)
  lang?: NotificationLanguage;

  @ApiPropertyOptional({ description: 'only unread notifications' })
  @OptionalField()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  unread?: boolean;
}

export class NotificationDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: NOTIFICATION_TYPES })
  type: string;

  @ApiProperty({ description: 'rendered in the language asked for (zh-CN or en)' })
  title: string;

  @ApiProperty({ description: 'rendered in the language asked for (zh-CN or en)' })
  body: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'what the notification is about, by type (ids, money as {amount, currency} in minor units); a client may render its own text from type and data',
  })
  data: Record<string, unknown>;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'present once read' })
  readAt?: string;
}

export class NotificationPageDto {
  @ApiProperty({ type: [NotificationDto], description: 'newest first' })
  items: NotificationDto[];

  @ApiProperty({ type: String, nullable: true, description: 'pass as ?cursor= for the next (older) page; null on the last page' })
  nextCursor: string | null;

  @ApiProperty({ description: "the user's unread notifications across all pages" })
  unreadCount: number;
}
