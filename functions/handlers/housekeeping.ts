import type { Context } from 'aws-lambda';
import { ledgerWiring } from '../adapters/ledger-wiring';
import { logger } from '../shared/logger';

/** Time left for the last member's commits after the budget ends. */
const SAFETY_MARGIN_MS = 15_000;

/**
 * Scheduled housekeeping: held points whose hold ended become available, lots past their expiry
 * are expired as ledger entries, lots nearing expiry are announced. Work left when the time runs
 * out stays in the due index for the next run; a failure throws so the scheduler retries.
 */
export async function handler(_event: unknown, context: Context) {
  const budgetMs = Math.max(1_000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
  const totals = await ledgerWiring().ledger.runDue({ budgetMs });
  logger.info('Housekeeping run', totals);
  if (totals.failures > 0) throw new Error(`Housekeeping failed for ${totals.failures} member(s); the next run retries them`);
  return totals;
}
