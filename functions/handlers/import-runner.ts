import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { importSteps } from '../composition/imports';
import { lambdaHandler } from '../shared/lambda-handler';
import { logger } from '../shared/logger';

/** Built once per container, on the first invocation (settings are read then). */
let runStep: ReturnType<typeof importSteps> | undefined;

/**
 * SQS consumer (batch 1): runs one step of an import job per message. A step that throws is retried by the queue;
 * the runner marks the job failed (resumable from its checkpoint) itself on the last attempt it is given.
 */
async function runSteps(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    try {
      await (runStep ??= importSteps())(record.body, receiveCount, `${record.messageId}#${receiveCount}`);
    } catch (error) {
      logger.warn('Import step failed; the queue retries it', { messageId: record.messageId, error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

export const handler = lambdaHandler(runSteps);
