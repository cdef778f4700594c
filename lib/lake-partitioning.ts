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
  const used = new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1]!));
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
export function partitionValues(record: Record<string, unknown>, keys: readonly LakePartitionKey[]): Record<string, string> | null {
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
