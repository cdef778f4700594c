/**
 * The value, or a clear error naming what was missing. For fields an AWS API or the twin's own
 * bookkeeping always sets but whose SDK types leave optional: a missing one is a broken stand-in,
 * and saying which field is quicker to debug than a TypeError further on.
 *
 * @example const shardId = required(shard.ShardId, 'DescribeStream shard id');
 */
export function required<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`${what} is missing`);
  return value;
}
