import { idempotencyItem, idempotencyRecordOf } from '../../functions/adapters/idempotency-item';
import type { IdempotencyRecord } from '../../functions/domain/ports';

/**
 * The idempotency record as stored: the tenant and key only in the item's key, and a reply that would take the item
 * past one KB compressed. Whatever the item keeps, reading it back gives the record it was made from.
 */
const reply = (points: number) =>
  JSON.stringify({
    body: {
      entry: { seq: 12, type: 'earn', amountPoints: points, reason: 'Hotel stay', source: 'pms' },
      balance: { available: 120, pending: 0, lifetime: 120, tier: 'base', version: 13 },
      eventId: 'evt_01KBJ7Z6QK3V8W2X9Y4Z5A6B7C',
    },
  });
const record = (body: string, key = 'order-1'): IdempotencyRecord => ({
  tenantId: 'ten_demo',
  key,
  requestHash: 'a'.repeat(64),
  statusCode: 201,
  body,
  createdAt: '2026-12-03T11:00:00.000Z',
});
const sizeOf = (item: Record<string, unknown>) =>
  Object.entries(item).reduce(
    (sum, [name, value]) =>
      sum + Buffer.byteLength(name) + (value instanceof Uint8Array ? value.length : Buffer.byteLength(String(value))),
    0,
  );

describe('idempotency item', () => {
  it('keeps a small reply as it is, without repeating the tenant and key of its key', () => {
    // Prepare
    const small = record(reply(10));

    // Act
    const item = idempotencyItem(small);

    // Assess
    expect(item).toMatchObject({
      pk: 'TENANT#ten_demo#IDEM#order-1',
      sk: 'IDEM',
      kind: 'idempotency',
      body: small.body,
    });
    expect(item).not.toHaveProperty('tenantId');
    expect(item).not.toHaveProperty('key');
    expect(idempotencyRecordOf('ten_demo', 'order-1', item)).toEqual(small);
  });

  it('compresses a reply that would take the item past one KB, and reads back the same bytes', () => {
    // Prepare: a long key and a large reply
    const large = record(
      JSON.stringify({ body: { items: Array.from({ length: 20 }, (_, i) => reply(i)) } }),
      'k'.repeat(200),
    );

    // Act
    const item = idempotencyItem(large);

    // Assess
    expect(item).not.toHaveProperty('body');
    expect(item.bodyBr).toBeInstanceOf(Uint8Array);
    expect(sizeOf(item)).toBeLessThanOrEqual(1024);
    expect(idempotencyRecordOf('ten_demo', 'k'.repeat(200), item)).toEqual(large);
  });

  it('reads an item written before the records were slimmed (tenant and key repeated)', () => {
    // Prepare
    const old = record(reply(10));
    const item = { pk: 'TENANT#ten_demo#IDEM#order-1', sk: 'IDEM', kind: 'idempotency', ...old };

    // Act & Assess
    expect(idempotencyRecordOf('ten_demo', 'order-1', item)).toEqual(old);
  });
});
