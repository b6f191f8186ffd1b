/** True for a PostgreSQL unique violation (optionally on one constraint or index). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = (err as { driverError?: { code?: string; constraint?: string }; code?: string; constraint?: string }) ?? {};
  const pg = e.driverError ?? e;
  return pg.code === '23505' && (constraint === undefined || pg.constraint === constraint);
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Rows of an UPDATE/DELETE ... RETURNING through TypeORM's `query()`, which
 * answers `[rows, rowCount]` for those commands and plain rows otherwise.
 */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}
