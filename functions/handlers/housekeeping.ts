import type { Context } from 'aws-lambda';
import { dynamo } from '../adapters/aws-clients';
import { DynamoLedgerStore } from '../adapters/dynamo-ledger-store';
import { DynamoProgrammeStore } from '../adapters/dynamo-programme-store';
import { cachedProgrammes, LedgerService } from '../domain/ledger-service';
import { systemClock } from '../shared/clock';
import { setting } from '../shared/config';
import { logger } from '../shared/logger';

/** Time left for the last member's commits after the budget ends. */
const SAFETY_MARGIN_MS = 15_000;

let ledger: LedgerService | undefined;
function wire(): LedgerService {
  const tableName = setting('TABLE_NAME');
  ledger ??= new LedgerService(
    new DynamoLedgerStore(dynamo(), tableName),
    cachedProgrammes(new DynamoProgrammeStore(dynamo(), tableName), systemClock),
    systemClock,
  );
  return ledger;
}

/**
 * Scheduled housekeeping: held points whose hold ended become available, lots past their expiry
 * are expired as ledger entries, lots nearing expiry are announced. Work left when the time runs
 * out stays in the due index for the next run; a failure throws so the scheduler retries.
 */
export async function handler(_event: unknown, context: Context) {
  const budgetMs = Math.max(1_000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
  const totals = await wire().runDue({ budgetMs });
  logger.info('Housekeeping run', totals);
  if (totals.failures > 0) throw new Error(`Housekeeping failed for ${totals.failures} member(s); the next run retries them`);
  return totals;
}
