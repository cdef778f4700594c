import type { Context } from 'aws-lambda';
import { exportsWiring } from '../composition/exports';
import { systemClock } from '../shared/clock';
import { lambdaHandler } from '../shared/lambda-handler';
import { logger } from '../shared/logger';

/** Time left after the last window starts: a window's run must finish (and record itself) within it. */
const SAFETY_MARGIN_MS = 60_000;
const JOB = 'exports';
/** Built once per container, on the first invocation. */
let wired: ReturnType<typeof exportsWiring> | undefined;

/**
 * Scheduled exports: each tick runs the due windows of the tenants' exports (one tick at a time, under a lease).
 * A window that fails is recorded as failed and stays due, so the next tick (a minute later) redoes it under the
 * same file names; the tick throws so the failure reaches the function's error alarm and its on-failure queue.
 */
async function runExports(_event: unknown, context: Context) {
  const { lease, runner } = (wired ??= exportsWiring());
  const now = systemClock.now().getTime();
  if (!(await lease.acquire(JOB, context.awsRequestId, now, now + context.getRemainingTimeInMillis()))) {
    logger.info('Exports skipped: another tick holds the lease');
    return { skipped: true };
  }
  try {
    const deadlineMs = now + Math.max(1_000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
    const totals = await runner.tick(deadlineMs);
    logger.info('Exports tick', { ...totals });
    if (totals.failed > 0) throw new Error(`${totals.failed} export window(s) failed; the next tick redoes them`);
    return totals;
  } finally {
    await lease.release(JOB, context.awsRequestId);
  }
}

export const handler = lambdaHandler(runExports, { correlationId: (_event, context) => context.awsRequestId });
