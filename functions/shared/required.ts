/**
 * A value the code's own invariants guarantee (an item just written, an index inside its array, a
 * field an AWS API always sets though its SDK type leaves it optional): its absence is a bug,
 * reported by name instead of a `TypeError` further on.
 *
 * @example const shardId = required(shard.ShardId, 'DescribeStream shard id');
 */
export function required<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`Internal error: ${what} is missing`);
  return value;
}
