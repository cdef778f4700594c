import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { routerWiring } from '../composition/webhooks';
import { lambdaHandler } from '../shared/lambda-handler';
import { logger } from '../shared/logger';
import { traceRecord } from '../shared/tracer';

/** Built once per container, on the first invocation (settings are read then). */
let wired: ReturnType<typeof routerWiring> | undefined;

/**
 * Stream consumer: turns each outbox event into one FIFO message per matching endpoint (or adds it
 * to a digest endpoint's current window). Records are handled in stream order; on a failure the
 * batch reports that record, so Lambda retries from it (earlier records are not re-sent; the
 * dedup id covers overlaps). The event carries its correlation id on to the delivery message, and its
 * trace subsegment carries it as an annotation.
 */
async function route(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const { fanOut, eventOf } = (wired ??= routerWiring());
  let queued = 0;
  for (const record of event.Records) {
    let correlationId: string | undefined;
    try {
      const outboxEvent = eventOf(record);
      correlationId = outboxEvent?.correlationId;
      if (outboxEvent) queued += await traceRecord('### route', correlationId, () => fanOut.route(outboxEvent));
    } catch (error) {
      logger.error('Routing failed; retrying from this record', {
        error: error as Error,
        sequenceNumber: record.dynamodb?.SequenceNumber,
        correlation_id: correlationId,
      });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  logger.debug('Routed batch', { records: event.Records.length, queued });
  return { batchItemFailures: [] };
}

export const handler = lambdaHandler(route);
