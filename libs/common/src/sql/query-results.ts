/**
 * TypeORM's `query()` answers `[rows, rowCount]` for UPDATE and DELETE, and
 * plain rows otherwise: the rows an UPDATE/DELETE ... RETURNING returned.
 * (Here, in common, so that common's own SQL uses the one helper too;
 * `@app/database` exports it for every other lib.)
 */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}

/** The row count of an UPDATE or DELETE run through TypeORM's `query()`. */
export function affectedRows(result: unknown): number {
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
