import { pool, sleep } from './harness';
import { rawEarns } from './raw-transact';

/**
 * The batches scenario: `batches` batches of `commandsPerBatch` earn commands over the bench's members,
 * posted at once to `POST /v1/batches`, timed from the first POST until every batch reads `completed`
 * (`GET /v1/batches/{id}`, looked at every 100 ms): `batch_commands_per_s`. Beside it, the raw rate of
 * the same items written straight to DynamoDB Local: per command a consistent read of the balance,
 * the earn's transaction (balance, entry, event, idempotency record) and the result's transaction
 * (result item, the batch's counter), one member at a time, with as many in flight as the batch
 * worker's trigger may run at once (`workerConcurrency`): `raw_batch_commands_per_s` and
 * `batch_vs_raw_ratio`. On the twin, the queue's pollers, the worker and DynamoDB Local share the cores.
 */
export interface BatchSettings {
  batches: number;
  commandsPerBatch: number;
  /** Batch worker invocations at once (its trigger's maximum concurrency): the raw run's calls in flight. */
  workerConcurrency: number;
  timeoutMs: number;
  run: number;
}

export interface BatchContext {
  apiUrl: string;
  headers: Record<string, string>;
  members: string[];
  /** DynamoDB Local itself (not the functions' IAM proxy). */
  dynamodbEndpoint: string;
}

interface BatchView {
  status: string;
  counts: { total: number; succeeded: number; failed: number; pending: number };
}

export async function runBatches(context: BatchContext, settings: BatchSettings) {
  const { apiUrl, headers, members } = context;
  const total = settings.batches * settings.commandsPerBatch;
  const start = performance.now();
  const batchIds = await pool(settings.batches, settings.batches, async (b) => {
    const commands = Array.from({ length: settings.commandsPerBatch }, (_, i) => ({
      type: 'earn',
      idempotencyKey: `bench-${settings.run}-batch-${b}-${i}`,
      memberId: members[(b * settings.commandsPerBatch + i) % members.length],
      body: { amountPoints: 1, reason: 'bench batch' },
    }));
    const response = await fetch(`${apiUrl}/v1/batches`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': `bench-${settings.run}-batch-${b}` },
      body: JSON.stringify({ commands }),
    });
    const body = (await response.json()) as { batchId?: string };
    if (response.status !== 202 || !body.batchId)
      throw new Error(`POST /v1/batches answered ${response.status}: ${JSON.stringify(body)}`);
    return body.batchId;
  });
  const views = new Map<string, BatchView>();
  const deadline = Date.now() + settings.timeoutMs;
  while (Date.now() < deadline) {
    for (const batchId of batchIds) {
      if (views.get(batchId)?.status === 'completed') continue;
      const response = await fetch(`${apiUrl}/v1/batches/${batchId}?limit=1`, { headers });
      views.set(batchId, (await response.json()) as BatchView);
    }
    if (batchIds.every((batchId) => views.get(batchId)?.status === 'completed')) break;
    await sleep(100);
  }
  const elapsedS = (performance.now() - start) / 1000;
  const counted = [...views.values()].map((view) => view.counts);
  const succeeded = counted.reduce((sum, counts) => sum + counts.succeeded, 0);
  const failed = counted.reduce((sum, counts) => sum + counts.failed, 0);
  const completed = batchIds.filter((batchId) => views.get(batchId)?.status === 'completed').length;

  const raw = await rawEarns({
    endpoint: context.dynamodbEndpoint,
    members: members.length,
    concurrency: settings.workerConcurrency,
    run: settings.run,
  });
  let rawPerS: number;
  try {
    rawPerS = await raw.saturated(total, { read: true, result: true });
  } finally {
    raw.close();
  }
  const batchPerS = completed === batchIds.length ? total / elapsedS : Number.NaN;
  const figures = {
    batch_commands_per_s: Math.round(batchPerS),
    raw_batch_commands_per_s: Math.round(rawPerS),
    batch_vs_raw_ratio: Number((batchPerS / rawPerS).toFixed(2)),
    batch_commands: total,
    batch_commands_succeeded: succeeded,
    batch_commands_failed: failed,
    batches_completed: completed,
  };
  const lines = [
    `batch commands         ${figures.batch_commands_per_s}/s  (${settings.batches} batches × ` +
      `${settings.commandsPerBatch} earns over ${members.length} members, POST → every batch completed in ` +
      `${elapsedS.toFixed(1)} s; ${succeeded} succeeded, ${failed} failed, ${completed}/${batchIds.length} completed)`,
    `raw batch commands     ${figures.raw_batch_commands_per_s}/s  (read + earn transaction + result transaction, ` +
      `${settings.workerConcurrency} in flight, one per member at a time)`,
    `batch / raw            ${figures.batch_vs_raw_ratio}`,
  ];
  return { figures, lines };
}
