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
 * Scheduled housekeeping: platform maintenance notices that are due go out to every active tenant,
 * held points whose hold ended become available, lots past their expiry are expired as ledger
 * entries, lots nearing expiry are announced. One run at a time (a lease);
 * work left when the time runs out stays in the due index for the next run. A run with failures
 * throws: it is not retried (the next run a minute later picks the members up again), and the
 * failure reaches the function's error alarm and its on-failure queue. The run's request id is the
 * correlation id of the events it writes (a schedule has no caller to take one from).
 */
async function runHousekeeping(_event: unknown, context: Context) {
  const { lease, ledger, notifier } = (wired ??= housekeepingWiring());
  const now = systemClock.now().getTime();
  if (!(await lease.acquire(JOB, context.awsRequestId, now, now + context.getRemainingTimeInMillis()))) {
    logger.info('Housekeeping skipped: another run holds the lease');
    return { skipped: true };
  }
  try {
    // Notices first, with at most half the run: they are due at an instant; members' work waits a run at worst.
    const noticeBudgetMs = Math.max(1_000, (context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS) / 2);
    const notices = await notifier.run({ deadlineMs: now + noticeBudgetMs, correlationId: context.awsRequestId });
    if (notices.written > 0 || notices.unfinished) logger.info('Maintenance notices', { ...notices });
    const budgetMs = Math.max(1_000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
    const totals = await ledger.runDue({ budgetMs, correlationId: context.awsRequestId });
    logger.info('Housekeeping run', totals);
    if (totals.failures > 0)
      throw new Error(`Housekeeping failed for ${totals.failures} member(s); the next run retries them`);
    return { ...totals, maintenanceNotices: notices.written };
  } finally {
    await lease.release(JOB, context.awsRequestId);
  }
}

export const handler = lambdaHandler(runHousekeeping, { correlationId: (_event, context) => context.awsRequestId });
