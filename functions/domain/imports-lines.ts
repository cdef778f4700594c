import { IMPORT_MAX_LINE_BYTES } from './imports';

/**
 * Splits the bytes of one ranged read of an NDJSON object into rows. Lines are split on `\n` bytes (never inside a
 * UTF-8 character), a `\r` before it is dropped, blank lines are counted but yield no row, and a line longer than
 * the cap is a `line_too_long` error (its bytes are skipped, across reads if need be). The last line of a read that
 * has no `\n` yet is left for the next read (its bytes are not consumed), unless the read ends the object.
 */

export type SplitRow =
  | { line: number; kind: 'row'; value: unknown }
  | { line: number; kind: 'error'; code: 'invalid_json' | 'line_too_long'; message: string };

export interface SplitInput {
  /** The bytes read, starting at the checkpointed offset. */
  bytes: Uint8Array;
  /** The number of the line before the first one in `bytes`. */
  line: number;
  /** The previous read ended inside an over-long line: skip to its end first (it was reported already). */
  skipping: boolean;
  /** The read reached the object's end: a last line without `\n` is complete. */
  final: boolean;
  /** Take at most this many rows (and errors); the rest is left for the next chunk. */
  maxRows: number;
}

export interface SplitResult {
  rows: SplitRow[];
  /** Bytes consumed from the start of `bytes`: the next read starts after them. */
  consumed: number;
  /** The number of the last line consumed. */
  line: number;
  /** Still inside an over-long line at `consumed`. */
  skipping: boolean;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * @example splitLines({ bytes: utf8('{"a":1}\n{"b"'), line: 0, skipping: false, final: false, maxRows: 10 })
 * // { rows: [{ line: 1, kind: 'row', value: { a: 1 } }], consumed: 8, line: 1, skipping: false }
 */
export function splitLines(input: SplitInput): SplitResult {
  const { bytes, maxRows } = input;
  const rows: SplitRow[] = [];
  let position = 0;
  let line = input.line;
  let skipping = input.skipping;
  if (skipping) {
    const end = bytes.indexOf(NEWLINE);
    if (end < 0) return { rows, consumed: bytes.length, line, skipping: !input.final };
    position = end + 1;
    skipping = false;
  }
  while (position < bytes.length && rows.length < maxRows) {
    const end = bytes.indexOf(NEWLINE, position);
    const complete = end >= 0 || input.final;
    const stop = end >= 0 ? end : bytes.length;
    let length = stop - position;
    if (length > 0 && end >= 0 && bytes[stop - 1] === CARRIAGE_RETURN) length -= 1;
    if (length > IMPORT_MAX_LINE_BYTES) {
      line += 1;
      rows.push({
        line,
        kind: 'error',
        code: 'line_too_long',
        message: `The line is longer than ${IMPORT_MAX_LINE_BYTES} bytes`,
      });
      if (end < 0) return { rows, consumed: bytes.length, line, skipping: !input.final };
      position = end + 1;
      continue;
    }
    // A partial line: left for the next read, which starts at its first byte.
    if (!complete) break;
    line += 1;
    const row = parseLine(bytes.subarray(position, position + length), line);
    if (row) rows.push(row);
    position = end >= 0 ? end + 1 : bytes.length;
  }
  return { rows, consumed: position, line, skipping };
}

/** One line's row: undefined for a blank line, an `invalid_json` error for what does not parse. */
function parseLine(bytes: Uint8Array, line: number): SplitRow | undefined {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { line, kind: 'error', code: 'invalid_json', message: 'The line is not valid UTF-8' };
  }
  // A byte-order mark may open the file.
  if (line === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
  if (text.trim() === '') return undefined;
  try {
    return { line, kind: 'row', value: JSON.parse(text) as unknown };
  } catch (error) {
    return { line, kind: 'error', code: 'invalid_json', message: (error as Error).message.slice(0, 200) };
  }
}
