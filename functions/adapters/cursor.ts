import { Problem } from '../shared/problem';

/**
 * Opaque page cursors: base64url JSON of the last item's sort keys only. The partition key is
 * rebuilt from the caller's own tenant, so a cursor can never reach another tenant's data.
 */
export function encodeCursor(position: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string, fields: string[]): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new Problem('cursor_invalid');
  }
  const position = value as Record<string, unknown>;
  if (
    typeof position !== 'object' ||
    Object.keys(position).length !== fields.length ||
    !fields.every((field) => typeof position[field] === 'string' && position[field].length <= 256)
  ) {
    throw new Problem('cursor_invalid');
  }
  return position as Record<string, string>;
}
