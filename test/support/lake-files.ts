import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * Every line of the twin's lake files below `dir` (gzip NDJSON, one event per line), parsed; only one tenant's
 * partitions when `tenantId` is given. No folder yet (nothing flushed) reads as no records.
 */
export function lakeRecords<T = Record<string, unknown>>(dir: string, tenantId?: string): T[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ndjson.gz') && (tenantId === undefined || name.includes(`tenant=${tenantId}/`)))
    .flatMap((name) =>
      gunzipSync(readFileSync(join(dir, name)))
        .toString('utf8')
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as T),
    );
}
