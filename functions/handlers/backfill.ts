import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { backfillSlices } from '../composition/backfill';
import { lambdaHandler } from '../shared/lambda-handler';
import { logger } from '../shared/logger';

/** Built once per container, on the first invocation (settings are read then). */
let runSlice: ReturnType<typeof backfillSlices> | undefined;

/**
 * SQS consumer (batch 1): runs one backfill slice per message. A slice that throws is retried by the queue; the
 * runner marks the backfill failed itself on the last attempt it is given.
 */
async function runSlices(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      await (runSlice ??= backfillSlices())(record.body, Number(record.attributes.ApproximateReceiveCount));
    } catch (error) {
      logger.warn('Backfill slice failed; the queue retries it', { messageId: record.messageId, error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

export const handler = lambdaHandler(runSlices);
