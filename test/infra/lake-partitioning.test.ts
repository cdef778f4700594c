import {
  activePartitions,
  errorObjectPrefix,
  firehosePrefix,
  metadataExtractionQuery,
} from '../../functions/declaration/lake-partitioning';
import { rawEvents, type LakePartitionKey } from '../../functions/declaration/topology';

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

describe('errorObjectPrefix', () => {
  it('expands the error prefix of the topology as Firehose does, in UTC', () => {
    expect(
      errorObjectPrefix(rawEvents.errorPrefix, {
        errorOutputType: 'partitioning-failed',
        at: new Date('2026-01-02T23:30:00Z'),
      }),
    ).toBe('errors/partitioning-failed/date=2026-01-02/');
  });

  it('formats Java date patterns with literals and two-digit years', () => {
    expect(
      errorObjectPrefix("x/!{timestamp:yy'h'HH/mm}/", { errorOutputType: 'e', at: new Date('2026-03-04T05:06:07Z') }),
    ).toBe('x/26h05/06/');
  });

  it('refuses expressions it cannot expand', () => {
    expect(() =>
      errorObjectPrefix('x/!{partitionKeyFromQuery:tenant}/', { errorOutputType: 'e', at: new Date() }),
    ).toThrow(/Unsupported Firehose expression/);
    expect(() => errorObjectPrefix('x/!{timestamp:EEE}/', { errorOutputType: 'e', at: new Date() })).toThrow(
      /Unsupported timestamp pattern letter/,
    );
  });
});

describe('activePartitions', () => {
  const load = { tenants: 200, eventTypes: 20, bufferIntervalSeconds: 60 };

  it('counts a partition per tenant and per hour a buffer interval can span', () => {
    expect(activePartitions(keys, load)).toBe(400);
  });

  it('multiplies by the event types when the type is a partition key', () => {
    expect(activePartitions([...keys, { name: 'type', field: 'type' }], load)).toBe(8000);
  });

  it('spans more hours with a longer buffer', () => {
    expect(activePartitions(keys, { ...load, bufferIntervalSeconds: 3600 })).toBe(400);
    expect(activePartitions(keys, { ...load, bufferIntervalSeconds: 3601 })).toBe(600);
  });
});
