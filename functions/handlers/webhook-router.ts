import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { routerWiring } from '../composition/webhooks';
import { lambdaHandler } from '../shared/lambda-handler';
import { logger } from '../shared/logger';
import { required } from '../shared/required';
import { traceRecord } from '../shared/tracer';

/** Built once per container, on the first invocation (settings are read then). */
let wired: ReturnType<typeof routerWiring> | undefined;

/**
 * Stream consumer: turns each outbox event into one FIFO message per matching endpoint (or adds it
 * to a digest endpoint's current window). Each record's endpoints are matched in stream order (its
 * trace subsegment carries the event's correlation id as an annotation), then the batch's messages
 * are queued together, in that order. On a failure the batch reports the first record not fully
 * routed, so Lambda retries from it (earlier records are not re-sent; the dedup id covers overlaps).
 */
async function route(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const { fanOut, eventOf } = (wired ??= routerWiring());
  const plans: Awaited<ReturnType<typeof fanOut.plan>>[] = [];
  const planned: DynamoDBRecord[] = [];
  let failed: { record: DynamoDBRecord; error: unknown; correlationId?: string } | undefined;
  for (const record of event.Records) {
    let correlationId: string | undefined;
    try {
      const outboxEvent = eventOf(record);
      correlationId = outboxEvent?.correlationId;
      if (!outboxEvent) continue;
      plans.push(await traceRecord('### route', correlationId, () => fanOut.plan(outboxEvent)));
      planned.push(record);
    } catch (error) {
      failed = { record, error, ...(correlationId !== undefined ? { correlationId } : {}) };
      break;
    }
  }
  const notQueued = await fanOut.queue(plans);
  if (notQueued) {
    const { correlationId } = required(plans[notQueued.index], 'plan of the failed record').event;
    const record = required(planned[notQueued.index], 'failed record');
    failed = { record, error: notQueued.error, ...(correlationId !== undefined ? { correlationId } : {}) };
  }
  if (failed) {
    logger.error('Routing failed; retrying from this record', {
      error: failed.error as Error,
      sequenceNumber: failed.record.dynamodb?.SequenceNumber,
      correlation_id: failed.correlationId,
    });
    return { batchItemFailures: [{ itemIdentifier: failed.record.dynamodb?.SequenceNumber ?? '' }] };
  }
  const queued = plans.reduce((sum, plan) => sum + plan.immediate.length + plan.digests.length, 0);
  logger.debug('Routed batch', { records: event.Records.length, queued });
  return { batchItemFailures: [] };
}

export const handler = lambdaHandler(route);
