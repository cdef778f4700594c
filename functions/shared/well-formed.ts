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
  // Every request's headers, parameters and body pass here: the common answer costs no allocation.
  return wellFormed(value) ? [] : pathsOf(value, path);
}

/** Whether every string and key of a JSON-like value is well-formed. */
function wellFormed(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) {
    for (const item of value) if (!wellFormed(item)) return false;
    return true;
  }
  for (const key of Object.keys(value)) {
    if (!key.isWellFormed() || !wellFormed((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function pathsOf(value: unknown, path: string): string[] {
  if (typeof value === 'string') return value.isWellFormed() ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((item, index) => pathsOf(item, join(path, String(index))));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => [
      ...(key.isWellFormed() ? [] : [join(path, key.toWellFormed())]),
      ...pathsOf(item, join(path, key.toWellFormed())),
    ]);
  }
  return [];
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
