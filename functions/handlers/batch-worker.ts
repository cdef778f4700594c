import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { commandWorker } from '../composition/batches';
import { processFifoBatch } from '../shared/fifo-batch';
import { lambdaHandler } from '../shared/lambda-handler';

/** Built once per container, on the first invocation (settings are read then). */
let worker: ReturnType<typeof commandWorker> | undefined;

/**
 * SQS FIFO consumer of batches' commands: members (message groups) in parallel, one member's commands in order.
 * A command's result (2xx or its own 4xx) is recorded and the message done. A platform failure (5xx, throttling,
 * contention) fails the message, which waits a growing delay before its next try, and holds back the rest of its
 * group (partial batch response); past maxReceiveCount the queue dead-letters it (docs/runbooks/batch-dlq.md).
 */
async function applyCommands(event: SQSEvent): Promise<SQSBatchResponse> {
  const { apply, changeVisibility } = (worker ??= commandWorker());
  const result = await processFifoBatch(event.Records, (record) =>
    apply(record.body, Number(record.attributes.ApproximateReceiveCount)),
  );
  if (result.visibility.length > 0) await changeVisibility(result.visibility);
  return { batchItemFailures: result.batchItemFailures };
}

export const handler = lambdaHandler(applyCommands);
