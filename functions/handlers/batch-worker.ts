import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { commandWorker } from '../composition/batches';
import { processFifoBatch } from '../shared/fifo-batch';
import { lambdaHandler } from '../shared/lambda-handler';

/** Built once per container, on the first invocation (settings are read then). */
let apply: ReturnType<typeof commandWorker> | undefined;

/**
 * SQS FIFO consumer of batches' commands: members (message groups) in parallel, one member's commands in order.
 * A command's result (2xx or its own 4xx) is recorded and the message done; a retryable failure (5xx, throttling,
 * contention) fails the message and holds back the rest of its group (partial batch response), so the queue
 * retries it and, past maxReceiveCount, dead-letters it (docs/runbooks/batch-dlq.md).
 */
async function applyCommands(event: SQSEvent): Promise<SQSBatchResponse> {
  const run = (apply ??= commandWorker());
  const { batchItemFailures } = await processFifoBatch(event.Records, (record) => run(record.body));
  return { batchItemFailures };
}

export const handler = lambdaHandler(applyCommands);
