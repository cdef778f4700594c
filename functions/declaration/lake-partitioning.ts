import type { LakePartitionKey } from './topology';

/**
 * Firehose dynamic-partitioning settings derived from the topology's raw-event partition keys.
 * Plain functions (no CDK) so the rules that turn the declaration into Firehose syntax are
 * written once and can be tested on their own.
 */

const PLACEHOLDER = /\{(\w+)\}/g;

/**
 * The JQ query of Firehose's MetadataExtraction processor: one object member per partition key,
 * a sliced field reading only that slice of the string.
 *
 * @example
 * metadataExtractionQuery([{ name: 'date', field: 'occurredAt', slice: [0, 10] }])
 * // => '{"date":.occurredAt[0:10]}'
 */
export function metadataExtractionQuery(keys: readonly LakePartitionKey[]): string {
  const members = keys.map(({ name, field, slice }) => {
    const selector = slice ? `.${field}[${slice[0]}:${slice[1]}]` : `.${field}`;
    return `${JSON.stringify(name)}:${selector}`;
  });
  return `{${members.join(',')}}`;
}

/**
 * The S3 prefix Firehose writes to: each `{name}` of the template becomes
 * `!{partitionKeyFromQuery:name}`. Every placeholder must be a partition key and every key must be
 * used, otherwise Firehose would reject the stream or write unpartitioned files.
 *
 * @example
 * firehosePrefix('events/date={date}/', [{ name: 'date', field: 'occurredAt', slice: [0, 10] }])
 * // => 'events/date=!{partitionKeyFromQuery:date}/'
 */
export function firehosePrefix(template: string, keys: readonly LakePartitionKey[]): string {
  const declared = new Set(keys.map((key) => key.name));
  // An empty name cannot match (`\w+`); were it to, it would show up below as unknown in the template.
  const used = new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ''));
  const unknown = [...used].filter((name) => !declared.has(name));
  const unused = [...declared].filter((name) => !used.has(name));
  if (unknown.length > 0 || unused.length > 0) {
    throw new Error(
      `Raw-event prefix template and partition keys disagree (unknown in template: ${unknown.join(', ') || 'none'}; ` +
        `keys not in template: ${unused.join(', ') || 'none'})`,
    );
  }
  return template.replace(PLACEHOLDER, (_, name: string) => `!{partitionKeyFromQuery:${name}}`);
}

/**
 * What the metadata extraction yields for one record: each key's field, sliced. Null when a key is
 * missing (Firehose sends such records to the error prefix). The twin's Firehose uses this.
 */
export function partitionValues(
  record: Record<string, unknown>,
  keys: readonly LakePartitionKey[],
): Record<string, string> | null {
  const values: Record<string, string> = {};
  for (const key of keys) {
    const raw = record[key.field];
    if (typeof raw !== 'string' || raw.length === 0) return null;
    values[key.name] = key.slice ? raw.slice(key.slice[0], key.slice[1]) : raw;
  }
  return values;
}

/** The object prefix for one record's partition values, as Firehose expands `firehosePrefix`. */
export function objectPrefix(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => values[name] ?? '');
}

/** Firehose's `!{namespace:value}` expressions, as in the error output prefix. */
const FIREHOSE_EXPRESSION = /!\{(\w+):([^}]*)\}/g;

/** UTC fields by Java DateTimeFormatter pattern letter (the subset S3 prefixes use). */
const TIMESTAMP_FIELDS: Record<string, (at: Date) => number> = {
  y: (at) => at.getUTCFullYear(),
  M: (at) => at.getUTCMonth() + 1,
  d: (at) => at.getUTCDate(),
  H: (at) => at.getUTCHours(),
  m: (at) => at.getUTCMinutes(),
  s: (at) => at.getUTCSeconds(),
};

/** `at` (UTC) in a Java DateTimeFormatter pattern, as Firehose expands `!{timestamp:pattern}`. */
function formatTimestamp(pattern: string, at: Date): string {
  return pattern.replace(/'([^']*)'|([A-Za-z])\2*/g, (run: string, literal: string | undefined) => {
    if (literal !== undefined) return literal === '' ? "'" : literal;
    // Otherwise the run repeats one letter (`yyyy`, `MM`).
    const letter = run.charAt(0);
    const field = TIMESTAMP_FIELDS[letter];
    if (!field) throw new Error(`Unsupported timestamp pattern letter '${letter}' in '${pattern}'`);
    const value = field(at);
    return letter === 'y' && run.length === 2
      ? String(value % 100).padStart(2, '0')
      : String(value).padStart(run.length, '0');
  });
}

/**
 * The object prefix Firehose writes a failed record to: each `!{firehose:error-output-type}` of the
 * error prefix becomes the kind of failure and each `!{timestamp:pattern}` the time, in UTC.
 *
 * @example
 * errorObjectPrefix('errors/!{firehose:error-output-type}/date=!{timestamp:yyyy-MM-dd}/', {
 *   errorOutputType: 'partitioning-failed',
 *   at: new Date('2024-05-01T10:00:00Z'),
 * })
 * // => 'errors/partitioning-failed/date=2024-05-01/'
 */
export function errorObjectPrefix(template: string, context: { errorOutputType: string; at: Date }): string {
  return template.replace(FIREHOSE_EXPRESSION, (expression: string, namespace: string, value: string) => {
    if (namespace === 'timestamp') return formatTimestamp(value, context.at);
    if (namespace === 'firehose' && value === 'error-output-type') return context.errorOutputType;
    throw new Error(`Unsupported Firehose expression ${expression}`);
  });
}

/**
 * The most partitions one buffer interval can hold open at once: one per tenant, per event type if
 * the type is a key, and per hour the interval can span (two, when it crosses an hour). Firehose
 * sends the records of partitions beyond its quota to the error prefix, so this must stay below it.
 *
 * @example
 * activePartitions([{ name: 'tenant', field: 'tenantId' }, { name: 'hour', field: 'occurredAt', slice: [11, 13] }],
 *   { tenants: 200, eventTypes: 20, bufferIntervalSeconds: 60 })
 * // => 400
 */
export function activePartitions(
  keys: readonly LakePartitionKey[],
  load: { tenants: number; eventTypes: number; bufferIntervalSeconds: number },
): number {
  const hoursSpanned = Math.ceil(load.bufferIntervalSeconds / 3600) + 1;
  return keys.reduce((product, key) => {
    if (key.field === 'tenantId') return product * load.tenants;
    if (key.field === 'type') return product * load.eventTypes;
    // Date and hour slices of the event time move together: the hours spanned count once.
    return product;
  }, hoursSpanned);
}
