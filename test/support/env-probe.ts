import type { Context } from 'aws-lambda';

/** A handler for runtime tests: tells what its container sees, and sleeps when asked. */
let invocations = 0;

export async function handler(event: { sleepMs?: number }, context: Context) {
  invocations += 1;
  if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
  return {
    env: { ...process.env },
    invocations,
    remainingMs: context.getRemainingTimeInMillis(),
    functionName: context.functionName,
  };
}
