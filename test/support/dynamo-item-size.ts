/**
 * The size DynamoDB counts for an item (its documented rules): attribute names and string values
 * in UTF-8 bytes, numbers about one byte per two significant digits plus one, booleans and nulls
 * one byte, and three bytes plus one per element for maps and lists.
 */
export function dynamoItemSizeBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => (value === undefined ? sum : sum + Buffer.byteLength(name) + valueSize(value)),
    0,
  );
}

function valueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace(/[.-]|^0+/g, '').length / 2) + 1;
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, element) => sum + 1 + valueSize(element), 0);
  if (typeof value === 'object')
    return 3 + Object.keys(value).length + dynamoItemSizeBytes(value as Record<string, unknown>);
  throw new Error(`No DynamoDB size for ${typeof value}`);
}
