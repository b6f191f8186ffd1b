import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { OptionalField } from './optional-field.decorator.js';
import { ValidationFailedError } from '../errors/domain-error.js';

/** `?limit=` (default 50, max 200) and `?cursor=` of api.md. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @OptionalField()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @OptionalField()
  @IsString()
  @MaxLength(500)
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;

/** Opaque cursor: base64url of a small JSON object (the position after the last item). */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<T extends Record<string, string | number>>(cursor: string, keys: (keyof T)[]): T {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
    if (value && typeof value === 'object' && keys.every((k) => ['string', 'number'].includes(typeof value[k]))) return value;
  } catch {
    // fall through
  }
  throw invalidCursor();
}

function invalidCursor(): ValidationFailedError {
  return new ValidationFailedError([{ field: 'cursor', problems: ['is not a cursor this list issued'] }]);
}

/**
 * For lists ordered by a bigint sequence (newest first): the position after
 * the last item, from a cursor made by `toPage(rows, limit, (r) => ({ id }))`.
 */
export function decodeSequenceCursor(cursor: string | undefined): bigint | undefined {
  if (!cursor) return undefined;
  const { id } = decodeCursor<{ id: string }>(cursor, ['id']);
  if (!/^\d{1,19}$/.test(id)) throw invalidCursor();
  return BigInt(id);
}

/**
 * For lists ordered by (timestamp, uuid), newest first: the position after
 * the last item, from a cursor made by
 * `toPage(rows, limit, (r) => ({ at: r.position_at, id: r.id }))` where
 * `position_at` is the row's timestamptz selected as text (microseconds
 * kept; a JavaScript Date would drop them and skip rows).
 */
export function decodeTimeCursor(cursor: string | undefined): { at: string; id: string } | undefined {
  if (!cursor) return undefined;
  const { at, id } = decodeCursor<{ at: string; id: string }>(cursor, ['at', 'id']);
  if (!/^\d{4}-\d{2}-\d{2}[ T][\d:.]+([+-]\d{2}(:\d{2})?|Z)$/.test(at) || !/^[0-9a-f-]{36}$/i.test(id)) throw invalidCursor();
  return { at, id };
}

/** Fetch `limit + 1` rows, then call this: it trims the extra row and makes the next cursor. */
export function toPage<T>(rows: T[], limit: number, positionOf: (last: T) => Record<string, string | number>): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items, nextCursor: more ? encodeCursor(positionOf(items[items.length - 1])) : null };
}
