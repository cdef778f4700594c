/**
 * Text that is not well-formed Unicode (a lone UTF-16 surrogate, which JSON can carry as
 * `"\ud800"`) is refused at the edge and can never reach an event: strict JSON readers of the
 * lake (DuckDB, Snowflake's loader) reject a whole file for one such string.
 */
export const NOT_WELL_FORMED = 'must be well-formed Unicode text (no lone surrogate code units)';

/**
 * The paths of every ill-formed string in a JSON-like value: string values, array items and
 * object keys (a key's path ends with the key itself). Empty when all text is well-formed.
 * @example illFormedPaths({ reason: 'bad \ud800 text' }) // ['reason']
 */
export function illFormedPaths(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return value.isWellFormed() ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((item, index) => illFormedPaths(item, join(path, String(index))));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => [
      ...(key.isWellFormed() ? [] : [join(path, key.toWellFormed())]),
      ...illFormedPaths(item, join(path, key.toWellFormed())),
    ]);
  }
  return [];
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
