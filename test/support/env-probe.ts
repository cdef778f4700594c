import type { Context } from 'aws-lambda';
import { logger } from '../../functions/shared/logger';

/** A handler for runtime tests: tells what its container sees, and sleeps when asked. */
let invocations = 0;

export async function handler(event: { sleepMs?: number; correlationId?: string }, context: Context) {
  invocations += 1;
  // Per-invocation log state, read back after the sleep: concurrent invocations must not see each other's.
  if (event.correlationId) logger.setCorrelationId(event.correlationId);
  if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
  return {
    env: { ...process.env },
    invocations,
    remainingMs: context.getRemainingTimeInMillis(),
    functionName: context.functionName,
    correlationId: logger.getCorrelationId(),
  };
}
