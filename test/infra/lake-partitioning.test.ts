import { firehosePrefix, metadataExtractionQuery } from '../../lib/lake-partitioning';
import type { LakePartitionKey } from '../../lib/topology';

const keys: LakePartitionKey[] = [
  { name: 'tenant', field: 'tenantId' },
  { name: 'date', field: 'occurredAt', slice: [0, 10] },
];

describe('metadataExtractionQuery', () => {
  it('builds one JQ member per key, slicing where the key says', () => {
    expect(metadataExtractionQuery(keys)).toBe('{"tenant":.tenantId,"date":.occurredAt[0:10]}');
  });
});

describe('firehosePrefix', () => {
  it('turns each placeholder into a partitionKeyFromQuery namespace', () => {
    expect(firehosePrefix('events/tenant={tenant}/date={date}/', keys)).toBe(
      'events/tenant=!{partitionKeyFromQuery:tenant}/date=!{partitionKeyFromQuery:date}/',
    );
  });

  it('rejects a template that uses an undeclared key', () => {
    expect(() => firehosePrefix('events/{tenant}/{date}/{hour}/', keys)).toThrow(/unknown in template: hour/);
  });

  it('rejects a template that leaves a declared key out', () => {
    expect(() => firehosePrefix('events/{tenant}/', keys)).toThrow(/keys not in template: date/);
  });
});
