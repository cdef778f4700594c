import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { rawEvents } from '../functions/declaration/topology';

/**
 * The twin's lake folder read back: gzip NDJSON files, one event per line, as the Firehose stand-in
 * mirrors them to disk (renamed into place, so a listed file is whole). Tests, the bench and the
 * chaos runs read the lake through here.
 */

/** The lake files below `dir` (relative names), only one tenant's partitions when `tenantId` is given. */
function lakeFiles(dir: string, tenantId?: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
    (name) =>
      name.endsWith(rawEvents.fileExtension) && (tenantId === undefined || name.includes(`tenant=${tenantId}/`)),
  );
}

function fileRecords<T>(path: string): T[] {
  return gunzipSync(readFileSync(path))
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Every record of the lake files below `dir`, parsed; no folder yet (nothing flushed) reads as no records. */
export function lakeRecords<T = Record<string, unknown>>(dir: string, tenantId?: string): T[] {
  return lakeFiles(dir, tenantId).flatMap((name) => fileRecords<T>(join(dir, name)));
}

/** Watches a lake folder: each look reads only the files that appeared since the last, noting when ids showed up. */
export class LakeWatcher {
  private readonly read = new Set<string>();
  /** When each event id was first found in a file, and how many times it was found in all. */
  readonly foundAt = new Map<string, number>();
  readonly copies = new Map<string, number>();

  constructor(
    private readonly dir: string,
    private readonly tenantId?: string,
  ) {}

  look(): void {
    const at = Date.now();
    for (const name of lakeFiles(this.dir, this.tenantId)) {
      if (this.read.has(name)) continue;
      this.read.add(name);
      for (const { id } of fileRecords<{ id?: string }>(join(this.dir, name))) {
        if (!id) continue;
        if (!this.foundAt.has(id)) this.foundAt.set(id, at);
        this.copies.set(id, (this.copies.get(id) ?? 0) + 1);
      }
    }
  }
}
