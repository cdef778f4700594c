/**
 * A value the code's own invariants guarantee (an item just written, an index inside its array):
 * its absence is a bug, reported by name instead of a `TypeError` further on.
 */
export function required<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`Internal error: ${what} is missing`);
  return value;
}
