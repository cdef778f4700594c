import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { keys } from '../domain/keys';
import type { IdempotencyRecord } from '../domain/ports';

/**
 * A write unit covers one KB of an item, and a put inside a transaction costs two per started KB: an
 * idempotency record kept under this size costs a commit two units, not four.
 */
const WRITE_UNIT_BYTES = 1024;

/** Fast enough to cost an earn a fraction of a millisecond, and close to the best ratio on replies this small. */
const BROTLI_OPTIONS = { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } };

/**
 * An idempotency record as stored (the ledger's commits and the reward store's credits write the same item). It keeps
 * only what its key cannot give back: the tenant and the Idempotency-Key are in `pk` and the reader knows them. A
 * record that would still take more than one KB (a long key, a large reply) keeps its reply brotli-compressed in
 * `bodyBr` instead of `body`; the replay decompresses it to the same bytes.
 * @example idempotencyItem({ tenantId: 't1', key: 'k1', requestHash: 'h', statusCode: 201, body: '{}', createdAt })
 */
export function idempotencyItem(record: IdempotencyRecord): Record<string, unknown> {
  const { tenantId, key, body, ...kept } = record;
  const item = { ...keys.idempotency(tenantId, key), kind: 'idempotency', ...kept };
  const plain = { ...item, body };
  if (itemBytes(plain) <= WRITE_UNIT_BYTES) return plain;
  const packed = brotliCompressSync(body, BROTLI_OPTIONS);
  return packed.length < Buffer.byteLength(body) ? { ...item, bodyBr: packed } : plain;
}

/** The record a stored item holds, as `idempotencyItem` was given it (older items that repeat tenant and key too). */
export function idempotencyRecordOf(tenantId: string, key: string, item: Record<string, unknown>): IdempotencyRecord {
  const body =
    typeof item.body === 'string' ? item.body : brotliDecompressSync(item.bodyBr as Uint8Array).toString('utf8');
  return {
    tenantId,
    key,
    requestHash: item.requestHash as string,
    statusCode: item.statusCode as number,
    body,
    createdAt: item.createdAt as string,
  };
}

/** An item's size as DynamoDB counts it, or a little more: attribute names, strings and binaries in bytes. */
function itemBytes(item: Record<string, unknown>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (typeof value === 'string') bytes += Buffer.byteLength(value);
    else if (value instanceof Uint8Array) bytes += value.length;
    else bytes += String(value).length + 1;
  }
  return bytes;
}
