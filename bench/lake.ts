import { join } from 'node:path';
import { promotedStages, stageSettings } from '../functions/declaration/stages';
import { functions } from '../functions/declaration/topology';
import { LakeWatcher } from '../local/lake-files';
import { percentile, sleep } from './harness';

/**
 * The lake scenario: earns at a steady rate, each timed from the API's 2xx to the first look at
 * the twin's lake folder that finds its event id in a file (the Firehose stand-in's gzip NDJSON,
 * written through S3 and mirrored to disk). Buffering dominates: the stand-in's buffer interval and
 * the lake router's stream batching window on the twin; deployed, Firehose's buffer (60 s, the least
 * dynamic partitioning allows, up to 1.5 times that with its multi-stage buffering) and that window.
 */

export interface LakeSettings {
  events: number;
  ratePerS: number;
  /** The twin's lake buffer interval (the stand-in flushes a partition's buffer once it is this old). */
  bufferSeconds: number;
  timeoutMs: number;
}

export interface LakeContext {
  lakeDir: string;
  members: string[];
  earn: (memberId: string, key: string, amountPoints: number) => Promise<{ status: number; eventId?: string }>;
}

/** How often the lake folder is looked at: the figures' resolution. */
const LOOK_EVERY_MS = 100;

export async function runLake(context: LakeContext, settings: LakeSettings) {
  const watcher = new LakeWatcher(join(context.lakeDir, 'events'));
  // Files from earlier scenarios are read first, so that their events are not counted as found now.
  watcher.look();
  const committedAt = new Map<string, number>();
  const stopWatching = new AbortController();
  const watch = (async () => {
    while (!stopWatching.signal.aborted) {
      watcher.look();
      await sleep(LOOK_EVERY_MS);
    }
  })();
  await Promise.all(
    Array.from({ length: settings.events }, async (_, i) => {
      await sleep((i * 1000) / settings.ratePerS);
      const result = await context.earn(context.members[i % context.members.length]!, `lake${i}`, 1);
      if (result.eventId) committedAt.set(result.eventId, Date.now());
    }),
  );
  const deadline = Date.now() + settings.timeoutMs;
  while ([...committedAt.keys()].some((id) => !watcher.foundAt.has(id)) && Date.now() < deadline) {
    await sleep(LOOK_EVERY_MS);
  }
  stopWatching.abort();
  await watch;
  const latencies = [...committedAt]
    .filter(([id]) => watcher.foundAt.has(id))
    .map(([id, at]) => Math.max(0, watcher.foundAt.get(id)! - at))
    .sort((a, b) => a - b);

  const batchingWindowS = functions.lakeRouter.trigger.maxBatchingWindowSeconds;
  const buffers = promotedStages.map((stage) => stageSettings[stage].lakeBuffering.intervalSeconds);
  const bufferRange = `${Math.min(...buffers)}–${Math.max(...buffers)}`;
  const figures = {
    lake_commit_to_file_ms_p50: percentile(latencies, 50),
    lake_commit_to_file_ms_p95: percentile(latencies, 95),
    lake_commit_to_file_ms_max: latencies.at(-1) ?? NaN,
    lake_events: committedAt.size,
    lake_missing: committedAt.size - latencies.length,
    lake_buffer_s: settings.bufferSeconds,
  };
  const lines = [
    `lake commit→file       p50 ${figures.lake_commit_to_file_ms_p50} ms, p95 ${figures.lake_commit_to_file_ms_p95} ` +
      `ms, max ${figures.lake_commit_to_file_ms_max} ms (${latencies.length}/${committedAt.size} earns at ` +
      `${settings.ratePerS}/s found in a lake file, ${figures.lake_missing} missing; looked every ${LOOK_EVERY_MS} ms)`,
    `  buffering dominates: on the twin its lake buffer (${settings.bufferSeconds} s) and the lake router's ` +
      `${batchingWindowS} s stream batching window; deployed: Firehose's buffer, ` +
      `${bufferRange} s by stage (up to 1.5× with dynamic partitioning), + that window`,
  ];
  return { figures, lines };
}
