import { table } from '../functions/declaration/topology';
import { required } from '../functions/shared/required';

/**
 * Hot partitions, as arithmetic: what one recorded DynamoDB call costs each partition key it touches (the table's
 * and every index's), and what a scenario's rates make of a sample of commands. Pure: the recorder
 * (`hot-partition.ts`) captures the calls the platform really makes; this module only counts.
 *
 * DynamoDB's rules as used here (developer guide, "read/write capacity mode" and "transactions"):
 * - a read unit is 4 KB: strongly consistent 1 unit, eventually consistent 0.5, transactional 2; a query sums the
 *   sizes of the items it returns before rounding, a get or a batch item rounds each item, and nothing costs less
 *   than one unit;
 * - a write unit is 1 KB of the larger of the item before and after the write, 2 in a transaction; a condition check
 *   in a transaction costs like a write of the item it reads;
 * - an index write follows each base write that puts, changes or removes an item the index holds: two (a delete and
 *   a put) when the index's partition or sort key changes, none when a keys-only index sees no key change; index
 *   writes are counted at the standard rate (the transaction's double rate is counted on the table);
 * - a local secondary index lives in the base partition: its writes and reads load the table's partition key;
 * - one partition serves at most 1,000 WCU and 3,000 RCU per second, or a linear combination of both.
 */

export const PARTITION_LIMITS = { wcuPerS: 1_000, rcuPerS: 3_000 } as const;
const READ_UNIT_BYTES = 4_096;
const WRITE_UNIT_BYTES = 1_024;

/** A value in DynamoDB's wire format (`{ S: 'x' }`, `{ N: '1' }`, `{ M: { … } }` …). */
export type WireValue = Record<string, unknown>;
export type WireItem = Record<string, WireValue>;

/** The table as the topology declares it: key names and the indexes with their keys and projection. */
export interface TableShape {
  partitionKey: string;
  sortKey: string;
  globalIndexes: { name: string; partitionKey: string; sortKey: string; projection: 'ALL' | 'KEYS_ONLY' }[];
  localIndexes: { name: string; sortKey: string; projection: 'ALL' | 'KEYS_ONLY' }[];
}

/** The declared table (the same declaration the stack and the twin are built from). */
export const declaredTable: TableShape = {
  partitionKey: table.partitionKey.name,
  sortKey: table.sortKey.name,
  globalIndexes: table.globalSecondaryIndexes.map((index) => ({
    name: index.indexName,
    partitionKey: index.partitionKey,
    sortKey: index.sortKey,
    projection: index.projection,
  })),
  localIndexes: table.localSecondaryIndexes.map((index) => ({
    name: index.indexName,
    sortKey: index.sortKey,
    projection: index.projection,
  })),
};

/** The load one call puts on one partition key of the table (`target: 'table'`) or of a global index. */
export interface Access {
  target: string;
  partitionKey: string;
  rcu: number;
  wcu: number;
}

export type ReadMode = 'eventual' | 'strong' | 'transactional';

/** Read units of `bytes` read at once (one item, or one query's items together). */
export function readUnits(bytes: number, mode: ReadMode): number {
  const units = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return units * (mode === 'eventual' ? 0.5 : mode === 'strong' ? 1 : 2);
}

/** Write units of one item write of `bytes` (the larger of before and after). */
export function writeUnits(bytes: number, transactional: boolean): number {
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES)) * (transactional ? 2 : 1);
}

/** An item's size as DynamoDB counts it: names and values in bytes (numbers about a byte per two digits, plus one). */
export function itemSizeBytes(item: WireItem): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value), 0);
}

function numberSize(text: string): number {
  const digits = text.replace(/^[-+]/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

function valueSize(value: WireValue): number {
  const [type, inner] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return Buffer.byteLength(inner as string);
    case 'N':
      return numberSize(inner as string);
    case 'B':
      return Buffer.from(inner as string, 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (inner as string[]).reduce((sum, s) => sum + Buffer.byteLength(s), 0);
    case 'NS':
      return (inner as string[]).reduce((sum, n) => sum + numberSize(n), 0);
    case 'BS':
      return (inner as string[]).reduce((sum, b) => sum + Buffer.from(b, 'base64').length, 0);
    case 'L':
      return 3 + (inner as WireValue[]).reduce((sum, element) => sum + 1 + valueSize(element), 0);
    case 'M':
      return 3 + Object.keys(inner as object).length + itemSizeBytes(inner as WireItem);
    default:
      throw new Error(`No DynamoDB size for type ${type}`);
  }
}

const stringOf = (value: WireValue | undefined): string | undefined =>
  value && typeof value.S === 'string' ? value.S : undefined;

const sameValue = (a: WireValue | undefined, b: WireValue | undefined) => JSON.stringify(a) === JSON.stringify(b);

/** One item write as it happened: the item before and after (absent: no item), in a transaction or not. */
export interface ItemWrite {
  before?: WireItem;
  after?: WireItem;
  transactional: boolean;
  /** A transaction's condition check: reads the item, changes nothing, billed as a write. */
  conditionCheck?: boolean;
}

/** What one item write costs the table's partition and each index partition it reaches. */
export function writeAccesses(write: ItemWrite, shape: TableShape = declaredTable): Access[] {
  const { before, after } = write;
  const item = after ?? before;
  if (!item) return [];
  const partitionKey = required(stringOf(item[shape.partitionKey]), 'the written item’s partition key');
  const largest = Math.max(before ? itemSizeBytes(before) : 0, after ? itemSizeBytes(after) : 0);
  let tableWcu = writeUnits(largest, write.transactional);
  if (write.conditionCheck) return [{ target: 'table', partitionKey, rcu: 0, wcu: tableWcu }];
  const changed = !sameValue({ M: before ?? {} }, { M: after ?? {} });
  for (const index of shape.localIndexes) {
    const writes = indexWrites(before, after, [shape.partitionKey, index.sortKey], index.projection, changed);
    for (const { image } of writes) tableWcu += writeUnits(projectedSize(image, shape, index), false);
  }
  const accesses: Access[] = [{ target: 'table', partitionKey, rcu: 0, wcu: tableWcu }];
  for (const index of shape.globalIndexes) {
    const writes = indexWrites(before, after, [index.partitionKey, index.sortKey], index.projection, changed);
    for (const { image } of writes) {
      const indexKey = required(stringOf(image[index.partitionKey]), `the ${index.name} key`);
      accesses.push({
        target: index.name,
        partitionKey: indexKey,
        rcu: 0,
        wcu: writeUnits(projectedSize(image, shape, index), false),
      });
    }
  }
  return accesses;
}

/** The index entries one base write puts or removes: the image each one is written from. */
function indexWrites(
  before: WireItem | undefined,
  after: WireItem | undefined,
  keyNames: string[],
  projection: 'ALL' | 'KEYS_ONLY',
  changed: boolean,
): { image: WireItem }[] {
  const held = (item: WireItem | undefined): item is WireItem =>
    item !== undefined && keyNames.every((name) => item[name] !== undefined);
  const wasHeld = held(before);
  const isHeld = held(after);
  if (wasHeld && isHeld) {
    const keyChanged = keyNames.some((name) => !sameValue(before[name], after[name]));
    if (keyChanged) return [{ image: before }, { image: after }];
    return changed && projection === 'ALL' ? [{ image: after }] : [];
  }
  if (wasHeld) return [{ image: before }];
  if (isHeld) return [{ image: after }];
  return [];
}

function projectedSize(
  image: WireItem,
  shape: TableShape,
  index: { partitionKey?: string; sortKey: string; projection: 'ALL' | 'KEYS_ONLY' },
): number {
  if (index.projection === 'ALL') return itemSizeBytes(image);
  const names = new Set([shape.partitionKey, shape.sortKey, index.partitionKey ?? shape.partitionKey, index.sortKey]);
  return itemSizeBytes(Object.fromEntries(Object.entries(image).filter(([name]) => names.has(name))));
}

/** One read as it happened: the partition it read (table or index) and the items it returned. */
export interface ItemRead {
  /** A global index's name, else the table (a local index reads the table's partition). */
  index?: string;
  partitionKey: string;
  mode: ReadMode;
  /** Items billed one by one (get, batch get) or together (a query's page). */
  items: (WireItem | undefined)[];
  together: boolean;
}

export function readAccesses(read: ItemRead, shape: TableShape = declaredTable): Access[] {
  const target = read.index && shape.globalIndexes.some((index) => index.name === read.index) ? read.index : 'table';
  const sizes = read.items.map((item) => (item ? itemSizeBytes(item) : 0));
  const rcu = read.together
    ? readUnits(
        sizes.reduce((sum, size) => sum + size, 0),
        read.mode,
      )
    : sizes.reduce((sum, size) => sum + readUnits(size, read.mode), 0);
  return [{ target, partitionKey: read.partitionKey, rcu, wcu: 0 }];
}

/** One command of the sample (an earn, a redemption …): whose it was and what it cost each key. */
export interface CommandSample {
  kind: string;
  memberId: string;
  accesses: Access[];
}

export interface Scenario {
  /** Commands per second, by kind. */
  ratePerS: Record<string, number>;
  /** Members the commands are spread over evenly. */
  members: number;
}

export interface KeyLoad {
  target: string;
  partitionKey: string;
  wcuPerS: number;
  rcuPerS: number;
  /** Of the partition's limits: WCU/1,000 + RCU/3,000 (a partition serves a linear combination of both). */
  share: number;
}

/** A partition's load as a share of what one partition serves. */
export function partitionShare(wcuPerS: number, rcuPerS: number): number {
  return wcuPerS / PARTITION_LIMITS.wcuPerS + rcuPerS / PARTITION_LIMITS.rcuPerS;
}

/**
 * Every key's load under the scenario. A key the sample touched for one member only (its partition, its idempotency
 * records) is that member's: it gets that member's share of the rates (rate / members, per command of that kind the
 * member sent in the sample). A key several members touched is shared (the tenant's items, account shards, index
 * shards): it gets the fraction of the sample's commands that touched it, times the rate (shards then `evenShards`).
 */
export function keyLoads(samples: CommandSample[], scenario: Scenario): KeyLoad[] {
  const commandsOfKind = new Map<string, number>();
  const commandsOfMember = new Map<string, number>();
  for (const sample of samples) {
    commandsOfKind.set(sample.kind, (commandsOfKind.get(sample.kind) ?? 0) + 1);
    const memberKind = `${sample.kind}\u0000${sample.memberId}`;
    commandsOfMember.set(memberKind, (commandsOfMember.get(memberKind) ?? 0) + 1);
  }
  const byKey = new Map<string, { target: string; partitionKey: string; members: Set<string>; uses: Use[] }>();
  for (const sample of samples) {
    for (const access of sample.accesses) {
      const id = `${access.target}\u0000${access.partitionKey}`;
      const key = byKey.get(id) ?? { ...access, members: new Set<string>(), uses: [] };
      key.members.add(sample.memberId);
      key.uses.push({ kind: sample.kind, memberId: sample.memberId, rcu: access.rcu, wcu: access.wcu });
      byKey.set(id, key);
    }
  }
  const loads = [...byKey.values()].map(({ target, partitionKey, members, uses }) => {
    const perMember = members.size === 1;
    let wcuPerS = 0;
    let rcuPerS = 0;
    for (const use of uses) {
      const rate = scenario.ratePerS[use.kind] ?? 0;
      const weight = perMember
        ? rate / scenario.members / required(commandsOfMember.get(`${use.kind}\u0000${use.memberId}`), 'its count')
        : rate / required(commandsOfKind.get(use.kind), 'its count');
      wcuPerS += use.wcu * weight;
      rcuPerS += use.rcu * weight;
    }
    return {
      target,
      partitionKey,
      wcuPerS,
      rcuPerS,
      share: partitionShare(wcuPerS, rcuPerS),
      members: members.size,
      perMember,
    };
  });
  return evenShards(loads).map(({ members: _members, perMember: _perMember, ...load }) => load);
}

/** A shard number at the end of a key (`TENANT#t#FEED#7`): the rest names its family. */
const SHARD_SUFFIX = /^(.*#)(\d+)$/;

/**
 * Shards picked by hash or at random are loaded evenly in expectation; with a sample of a few hundred commands their
 * loads still differ by chance, and the busiest would overstate the scenario. So a family of shared shard keys (same
 * target, same key but for the final number) takes its mean load, unless the numbers of members that touched each
 * shard are too uneven for chance (a chi-square test, p < 0.001; members, not calls, because one member's commands
 * all hash to its shard): a skewed choice in the code (always the first shard, say) keeps its own.
 */
export function evenShards<L extends KeyLoad & { members: number; perMember: boolean }>(loads: L[]): L[] {
  const families = new Map<string, L[]>();
  for (const load of loads) {
    const family = SHARD_SUFFIX.exec(load.partitionKey)?.[1];
    if (!family || load.perMember) continue;
    const id = `${load.target}\u0000${family}`;
    families.set(id, [...(families.get(id) ?? []), load]);
  }
  const evened = new Map<L, L>();
  for (const shards of families.values()) {
    if (shards.length < 2 || !evenByChance(shards.map((shard) => shard.members))) continue;
    const wcuPerS = shards.reduce((sum, shard) => sum + shard.wcuPerS, 0) / shards.length;
    const rcuPerS = shards.reduce((sum, shard) => sum + shard.rcuPerS, 0) / shards.length;
    for (const shard of shards) {
      evened.set(shard, { ...shard, wcuPerS, rcuPerS, share: partitionShare(wcuPerS, rcuPerS) });
    }
  }
  return loads.map((load) => evened.get(load) ?? load);
}

/** Whether counts this uneven happen by chance when every bin is equally likely (chi-square, p ≥ 0.001). */
export function evenByChance(counts: number[]): boolean {
  const mean = counts.reduce((sum, count) => sum + count, 0) / counts.length;
  if (mean === 0) return true;
  const statistic = counts.reduce((sum, count) => sum + (count - mean) ** 2 / mean, 0);
  // The chi-square quantile by Wilson and Hilferty's approximation, z = 3.09 (p = 0.001).
  const df = counts.length - 1;
  const critical = df * (1 - 2 / (9 * df) + 3.09 * Math.sqrt(2 / (9 * df))) ** 3;
  return statistic <= critical;
}

interface Use {
  kind: string;
  memberId: string;
  rcu: number;
  wcu: number;
}

/** The busiest key of the table and of every global index (a target nothing touched has none). */
export function busiestKeys(loads: KeyLoad[], shape: TableShape = declaredTable) {
  const targets = ['table', ...shape.globalIndexes.map((index) => index.name)];
  return targets.map((target) => {
    const ranked = loads.filter((load) => load.target === target).sort((a, b) => b.share - a.share);
    return { target, busiest: ranked[0] ?? null, keys: ranked.length };
  });
}

/** A DynamoDB call as it crossed the wire: the operation (`GetItem` …), its JSON request and response. */
export interface WireCall {
  operation: string;
  request: Record<string, unknown>;
  response: Record<string, unknown>;
}

type Key = Record<string, WireValue>;

/** The parts of DynamoDB's JSON requests and responses the counting reads. */
interface WireRequest {
  Item: WireItem;
  Key: Key;
  RequestItems: Record<string, { PutRequest?: { Item: WireItem }; DeleteRequest?: { Key: Key } }[]>;
  TransactItems: Record<string, { Item?: WireItem; Key?: Key }>[];
  ConsistentRead?: boolean;
  IndexName?: string;
}
interface WireResponse {
  Item?: WireItem;
  Items?: WireItem[];
  Responses?: Record<string, WireItem[]> | { Item?: WireItem }[];
}

/** The item keys a write call names, each with whether it is transactional or a condition check. */
export function writtenKeys(call: Pick<WireCall, 'operation' | 'request'>, shape: TableShape = declaredTable) {
  const keyOf = (item: WireItem): Key => ({
    [shape.partitionKey]: required(item[shape.partitionKey], 'the partition key'),
    [shape.sortKey]: required(item[shape.sortKey], 'the sort key'),
  });
  const request = call.request as unknown as WireRequest;
  switch (call.operation) {
    case 'PutItem':
      return [{ key: keyOf(request.Item), transactional: false }];
    case 'UpdateItem':
    case 'DeleteItem':
      return [{ key: request.Key, transactional: false }];
    case 'BatchWriteItem':
      return Object.values(request.RequestItems)
        .flat()
        .map((entry) => ({
          key: entry.PutRequest?.Item ? keyOf(entry.PutRequest.Item) : entry.DeleteRequest!.Key,
          transactional: false,
        }));
    case 'TransactWriteItems':
      return request.TransactItems.map((action) => {
        const [kind, body] = required(Object.entries(action)[0], 'a transaction action');
        return {
          key: body.Item ? keyOf(body.Item) : (body.Key as Key),
          transactional: true,
          conditionCheck: kind === 'ConditionCheck',
        };
      });
    default:
      return [];
  }
}

/** The partition key value a query's key condition names (`pk = :pk`, `#k = :v`). */
export function queriedPartitionKey(request: Record<string, unknown>, keyName: string): string {
  const names = (request.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (request.ExpressionAttributeValues ?? {}) as Record<string, WireValue>;
  for (const [, name, placeholder] of String(request.KeyConditionExpression).matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
    if ((names[name!] ?? name) === keyName)
      return required(stringOf(values[placeholder!]), `the value of ${placeholder}`);
  }
  throw new Error(`No partition key ${keyName} in the key condition ${String(request.KeyConditionExpression)}`);
}

/** The reads a call made; writes are costed from the items before and after them (`writeAccesses`). */
export function callReads(call: WireCall, shape: TableShape = declaredTable): ItemRead[] {
  const request = call.request as unknown as WireRequest;
  const response = call.response as WireResponse;
  const batch = request.RequestItems as unknown as Record<string, { Keys: Key[]; ConsistentRead?: boolean }>;
  const transactGets = request.TransactItems as unknown as { Get: { Key: Key } }[];
  const pkOf = (key: Key) => required(stringOf(key[shape.partitionKey]), 'the partition key');
  const mode = (consistent: unknown): ReadMode => (consistent === true ? 'strong' : 'eventual');
  switch (call.operation) {
    case 'GetItem':
      return [
        {
          partitionKey: pkOf(request.Key),
          mode: mode(request.ConsistentRead),
          items: [response.Item],
          together: false,
        },
      ];
    case 'BatchGetItem':
      return Object.entries(batch).flatMap(([tableName, { Keys, ConsistentRead }]) => {
        const found = (response.Responses as Record<string, WireItem[]> | undefined)?.[tableName] ?? [];
        return Keys.map((key) => ({
          partitionKey: pkOf(key),
          mode: mode(ConsistentRead),
          items: [
            found.find(
              (item) =>
                sameValue(item[shape.partitionKey], key[shape.partitionKey]) &&
                sameValue(item[shape.sortKey], key[shape.sortKey]),
            ),
          ],
          together: false,
        }));
      });
    case 'Query': {
      const index = shape.globalIndexes.find((candidate) => candidate.name === request.IndexName);
      return [
        {
          ...(index ? { index: index.name } : {}),
          partitionKey: queriedPartitionKey(call.request, index?.partitionKey ?? shape.partitionKey),
          mode: mode(request.ConsistentRead),
          items: response.Items ?? [],
          together: true,
        },
      ];
    }
    case 'TransactGetItems':
      return transactGets.map((action, i) => ({
        partitionKey: pkOf(action.Get.Key),
        mode: 'transactional' as const,
        items: [(response.Responses as { Item?: WireItem }[] | undefined)?.[i]?.Item],
        together: false,
      }));
    default:
      return [];
  }
}

/** Operations the counting knows; anything else in a sample is reported, not silently left out. */
export const COUNTED_OPERATIONS = new Set([
  'GetItem',
  'BatchGetItem',
  'Query',
  'TransactGetItems',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);
