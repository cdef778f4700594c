import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { queryPages } from './query-prefix';

type Item = Record<string, unknown>;

/**
 * The first `limit` items of several partitions (the shards of one index partition), merged in the order of their
 * sort key: each partition is read page by page, only as far as the merge needs it. `more` tells whether any partition
 * may hold further items in range (a caller's next page starts after the last item's sort key).
 * @example await queryMerged(client, shards.map(queryOf), { sortKey: 'gsi2sk', descending: true, limit: 50 })
 */
export async function queryMerged(
  client: DynamoDBDocumentClient,
  queries: Omit<QueryCommandInput, 'ExclusiveStartKey'>[],
  options: { sortKey: string; descending: boolean; limit: number },
): Promise<{ items: Item[]; more: boolean }> {
  const shards = queries.map((query) => ({ pages: queryPages(client, query), buffer: [] as Item[], done: false }));
  // Keeps a partition's buffer non-empty until the partition is read to its end.
  const fill = async (shard: (typeof shards)[number]) => {
    while (shard.buffer.length === 0 && !shard.done) {
      const next = await shard.pages.next();
      if (next.done) shard.done = true;
      else shard.buffer.push(...next.value);
    }
  };
  await Promise.all(shards.map(fill));
  const keyOf = (item: Item) => String(item[options.sortKey]);
  const before = (a: Item, b: Item) => (options.descending ? keyOf(a) > keyOf(b) : keyOf(a) < keyOf(b));
  const items: Item[] = [];
  while (items.length < options.limit) {
    let best: { shard: (typeof shards)[number]; head: Item } | undefined;
    for (const shard of shards) {
      const head = shard.buffer[0];
      if (head && (!best || before(head, best.head))) best = { shard, head };
    }
    if (!best) return { items, more: false };
    items.push(best.head);
    best.shard.buffer.shift();
    if (items.length < options.limit) await fill(best.shard);
  }
  // A partition whose last page ended on a full `Limit` may turn out empty: the next page then says so.
  return { items, more: shards.some((shard) => shard.buffer.length > 0 || !shard.done) };
}
