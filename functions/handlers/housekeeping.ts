import type { Context } from 'aws-lambda';
import { housekeepingWiring } from '../composition/housekeeping';
import { systemClock } from '../shared/clock';
import { lambdaHandler } from '../shared/lambda-handler';
import { logger } from '../shared/logger';

/** Time left for the last member's commits after the budget ends. */
const SAFETY_MARGIN_MS = 15_000;
const JOB = 'housekeeping';
/** Built once per container, on the first invocation (settings are read then). */
let wired: ReturnType<typeof housekeepingWiring> | undefined;

/**
 * Scheduled housekeeping: held points whose hold ended become available, lots past their expiry
 * are expired as ledger entries, lots nearing expiry are announced. One run at a time (a lease);
 * work left when the time runs out stays in the due index for the next run. A run with failures
 * throws: it is not retried (the next run a minute later picks the members up again), and the
 * failure reaches the function's error alarm and its on-failure queue. The run's request id is the
 * correlation id of the events it writes (a schedule has no caller to take one from).
 */
async function runHousekeeping(_event: unknown, context: Context) {
  const { lease, ledger } = (wired ??= housekeepingWiring());
  const now = systemClock.now().getTime();
  if (!(await lease.acquire(JOB, context.awsRequestId, now, now + context.getRemainingTimeInMillis()))) {
    logger.info('Housekeeping skipped: another run holds the lease');
    return { skipped: true };
  }
  try {
    const budgetMs = Math.max(1_000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
    const totals = await ledger.runDue({ budgetMs, correlationId: context.awsRequestId });
    logger.info('Housekeeping run', totals);
    if (totals.failures > 0)
      throw new Error(`Housekeeping failed for ${totals.failures} member(s); the next run retries them`);
    return totals;
  } finally {
    await lease.release(JOB, context.awsRequestId);
  }
}

export const handler = lambdaHandler(runHousekeeping, { correlationId: (_event, context) => context.awsRequestId });
