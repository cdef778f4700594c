import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { inboundWorker } from '../composition/batches';
import { processFifoBatch } from '../shared/fifo-batch';
import { lambdaHandler } from '../shared/lambda-handler';
import { logger } from '../shared/logger';
import { recordMetric } from '../shared/metrics';

/** Built once per container, on the first invocation (settings are read then). */
let worker: ReturnType<typeof inboundWorker> | undefined;

/**
 * Consumer of tenants' inbound queues (each mapped here by the admin API): every message is a batch request,
 * submitted for the tenant registered for the record's queue (`eventSourceARN`), never one the body names. A body
 * that is no batch is recorded on the queue's registration, counted and deleted; a platform failure fails the
 * message (and holds back its group), so SQS retries it and, past its limit, moves it to the queue's DLQ.
 */
async function submitMessages(event: SQSEvent): Promise<SQSBatchResponse> {
  const inbound = (worker ??= inboundWorker());
  const result = await processFifoBatch(event.Records, async (record) => {
    const outcome = await inbound.handle({
      queueArn: record.eventSourceARN,
      messageId: record.messageId,
      ...(record.attributes.MessageDeduplicationId
        ? { deduplicationId: record.attributes.MessageDeduplicationId }
        : {}),
      body: record.body,
    });
    if (outcome.kind === 'rejected') {
      recordMetric('InboundMessagesRejected');
      logger.warn('Inbound message is no batch request; recorded and dropped', {
        tenantId: outcome.tenantId,
        messageId: record.messageId,
        reason: outcome.reason,
      });
    }
  });
  return { batchItemFailures: result.batchItemFailures };
}

export const handler = lambdaHandler(submitMessages);
