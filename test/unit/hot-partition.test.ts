import {
  busiestKeys,
  evenByChance,
  evenShards,
  callReads,
  itemSizeBytes,
  keyLoads,
  partitionShare,
  readAccesses,
  readUnits,
  writeAccesses,
  writeUnits,
  writtenKeys,
  type CommandSample,
  type TableShape,
  type WireItem,
} from '../../bench/partition-load';

/** A table like the platform's: one ALL index on gsi1pk, one KEYS_ONLY index on duePk, one local index. */
const shape: TableShape = {
  partitionKey: 'pk',
  sortKey: 'sk',
  globalIndexes: [
    { name: 'members', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'ALL' },
    { name: 'due', partitionKey: 'duePk', sortKey: 'dueAt', projection: 'KEYS_ONLY' },
  ],
  localIndexes: [{ name: 'byTime', sortKey: 'lsi1sk', projection: 'ALL' }],
};

const s = (value: string) => ({ S: value });
/** An item of about `bytes` bytes: its keys plus a padding string. */
const itemOf = (pk: string, bytes: number, extra: WireItem = {}): WireItem => {
  const base: WireItem = { pk: s(pk), sk: s('X'), ...extra };
  return { ...base, pad: s('p'.repeat(Math.max(0, bytes - itemSizeBytes(base) - 3))) };
};

describe('hot partition arithmetic', () => {
  it('rounds reads up to 4 KB and writes up to 1 KB, at DynamoDB’s rates per consistency and transaction', () => {
    // Assess
    expect(readUnits(0, 'strong')).toBe(1);
    expect(readUnits(4_096, 'strong')).toBe(1);
    expect(readUnits(4_097, 'strong')).toBe(2);
    expect(readUnits(4_097, 'eventual')).toBe(1);
    expect(readUnits(4_097, 'transactional')).toBe(4);
    expect(writeUnits(1_024, false)).toBe(1);
    expect(writeUnits(1_025, false)).toBe(2);
    expect(writeUnits(1_025, true)).toBe(4);
  });

  it('sizes items as DynamoDB does: names and values, numbers by their digits, maps and lists with overhead', () => {
    // Assess
    expect(itemSizeBytes({ ab: s('xyz') })).toBe(5);
    expect(itemSizeBytes({ n: { N: '12345' } })).toBe(1 + 4);
    expect(itemSizeBytes({ m: { M: { a: { BOOL: true } } } })).toBe(1 + 3 + 1 + 1 + 1);
    expect(itemSizeBytes({ l: { L: [s('ab'), { NULL: true }] } })).toBe(1 + 3 + (1 + 2) + (1 + 1));
  });

  it('charges a transactional write twice on the table, once per index entry, and the local index on the table', () => {
    // Prepare
    const after = itemOf('TENANT#t#MEMBER#m', 1_500, {
      gsi1pk: s('TENANT#t#MEMBERS#3'),
      gsi1sk: s('m'),
      lsi1sk: s('AT#1'),
    });

    // Act
    const accesses = writeAccesses({ after, transactional: true }, shape);

    // Assess: 2 KB → 4 units in a transaction, + 2 for the local index entry; the ALL index 2 units.
    expect(accesses).toEqual([
      { target: 'table', partitionKey: 'TENANT#t#MEMBER#m', rcu: 0, wcu: 6 },
      { target: 'members', partitionKey: 'TENANT#t#MEMBERS#3', rcu: 0, wcu: 2 },
    ]);
  });

  it('writes an index twice when its key moves and not at all when a keys-only index keeps its keys', () => {
    // Prepare
    const before = itemOf('B', 100, { duePk: s('DUE#1'), dueAt: s('2026-01-01'), gsi1pk: s('A#1'), gsi1sk: s('x') });
    const moved = { ...before, gsi1pk: s('A#2'), balance: { N: '5' } };

    // Act
    const accesses = writeAccesses({ before, after: moved, transactional: false }, shape);

    // Assess
    expect(accesses.filter((a) => a.target === 'members').map((a) => a.partitionKey)).toEqual(['A#1', 'A#2']);
    expect(accesses.filter((a) => a.target === 'due')).toEqual([]);
  });

  it('reads a query’s items together and a batch get’s items one by one, on the index the query names', () => {
    // Prepare
    const big = itemOf('P', 3_000);
    const query = {
      operation: 'Query',
      request: {
        IndexName: 'members',
        KeyConditionExpression: '#k = :pk AND gsi1sk > :after',
        ExpressionAttributeNames: { '#k': 'gsi1pk' },
        ExpressionAttributeValues: { ':pk': s('TENANT#t#MEMBERS#0'), ':after': s('m') },
      },
      response: { Items: [big, big] },
    };
    const batch = {
      operation: 'BatchGetItem',
      request: {
        RequestItems: {
          T: {
            Keys: [
              { pk: s('P'), sk: s('X') },
              { pk: s('Q'), sk: s('X') },
            ],
            ConsistentRead: true,
          },
        },
      },
      response: { Responses: { T: [big] } },
    };

    // Act
    const fromQuery = callReads(query, shape).flatMap((read) => readAccesses(read, shape));
    const fromBatch = callReads(batch, shape).flatMap((read) => readAccesses(read, shape));

    // Assess: 6 KB eventually consistent → 2 units → 1 RCU; the batch: 1 unit found + 1 unit for the missing key.
    expect(fromQuery).toEqual([{ target: 'members', partitionKey: 'TENANT#t#MEMBERS#0', rcu: 1, wcu: 0 }]);
    expect(fromBatch).toEqual([
      { target: 'table', partitionKey: 'P', rcu: 1, wcu: 0 },
      { target: 'table', partitionKey: 'Q', rcu: 1, wcu: 0 },
    ]);
  });

  it('names every key of a transaction, condition checks marked', () => {
    // Act
    const written = writtenKeys(
      {
        operation: 'TransactWriteItems',
        request: {
          TransactItems: [
            { Put: { TableName: 'T', Item: itemOf('A', 10) } },
            { ConditionCheck: { TableName: 'T', Key: { pk: s('B'), sk: s('X') } } },
          ],
        },
      },
      shape,
    );

    // Assess
    expect(written).toEqual([
      { key: { pk: s('A'), sk: s('X') }, transactional: true, conditionCheck: false },
      { key: { pk: s('B'), sk: s('X') }, transactional: true, conditionCheck: true },
    ]);
  });

  it('scales shared keys by the share of commands that touch them and a member’s keys by its share of the rate', () => {
    // Prepare: 4 earns by 4 members; each reads the tenant (1 RCU) and writes its own partition and one of 2 shards.
    const samples: CommandSample[] = Array.from({ length: 4 }, (_, i) => ({
      kind: 'earn',
      memberId: `m${i}`,
      accesses: [
        { target: 'table', partitionKey: 'TENANT#t', rcu: 1, wcu: 0 },
        { target: 'table', partitionKey: `MEMBER#m${i}`, rcu: 1, wcu: 4 },
        { target: 'members', partitionKey: `SHARD#${i % 2}`, rcu: 0, wcu: 1 },
      ],
    }));

    // Act
    const loads = keyLoads(samples, { ratePerS: { earn: 3_000 }, members: 1_000 });
    const busiest = busiestKeys(loads, shape);

    // Assess: the tenant key takes every command's read; a shard half the writes; a member 3 commands a second.
    expect(loads.find((l) => l.partitionKey === 'TENANT#t')).toMatchObject({ rcuPerS: 3_000, wcuPerS: 0, share: 1 });
    expect(loads.find((l) => l.partitionKey === 'SHARD#0')).toMatchObject({ wcuPerS: 1_500, share: 1.5 });
    expect(loads.find((l) => l.partitionKey === 'MEMBER#m2')).toMatchObject({ rcuPerS: 3, wcuPerS: 12 });
    expect(busiest.map((row) => [row.target, row.busiest?.partitionKey ?? null])).toEqual([
      ['table', 'TENANT#t'],
      ['members', 'SHARD#0'],
      ['due', null],
    ]);
  });

  it('adds reads and writes into one share of a partition’s limits', () => {
    // Assess
    expect(partitionShare(500, 1_500)).toBe(1);
    expect(partitionShare(0, 3_000)).toBe(1);
    expect(partitionShare(250, 0)).toBe(0.25);
  });
});

describe('shards loaded evenly by chance', () => {
  const shardLoad = (partitionKey: string, members: number) => ({
    target: 'feed',
    partitionKey,
    wcuPerS: members * 10,
    rcuPerS: 0,
    share: members / 100,
    members,
    perMember: false,
  });

  it('takes the family’s mean when the spread is what chance gives', () => {
    // Prepare
    const loads = [shardLoad('T#FEED#0', 46), shardLoad('T#FEED#1', 54), shardLoad('OTHER#1', 70)];

    // Act
    const evened = evenShards(loads);

    // Assess
    expect(evened.map((load) => load.wcuPerS)).toEqual([500, 500, 700]);
  });

  it('keeps each shard’s own load when the code favours one shard', () => {
    // Prepare
    const loads = [shardLoad('T#STOCK#0', 90), shardLoad('T#STOCK#1', 5), shardLoad('T#STOCK#2', 5)];

    // Act
    const evened = evenShards(loads);

    // Assess
    expect(evened.map((load) => load.wcuPerS)).toEqual([900, 50, 50]);
    expect(evenByChance([90, 5, 5])).toBe(false);
    expect(evenByChance([40, 30, 30])).toBe(true);
  });
});
