import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { sqs } from '../adapters/aws-clients';
import { cachedSubscriptions } from '../adapters/dynamo-subscription-store';
import { eventFromStreamRecord } from '../domain/outbox';
import { SqsDeliveryQueue } from '../adapters/sqs-delivery-queue';
import { matchesEventType } from '../domain/webhook-message';
import { setting } from '../shared/config';
import { logger } from '../shared/logger';

let queue: SqsDeliveryQueue | undefined;
const deliveryQueue = () => (queue ??= new SqsDeliveryQueue(sqs(), setting('DELIVERY_QUEUE_URL')));

async function routeRecord(record: DynamoDBRecord): Promise<number> {
  const event = eventFromStreamRecord(record);
  if (!event) return 0;
  const targets = (await cachedSubscriptions().forTenant(event.tenantId)).filter((s) => s.enabled && matchesEventType(s.eventTypes, event.type));
  await deliveryQueue().enqueue(targets.map((sub) => ({ tenantId: event.tenantId, subscriptionId: sub.subscriptionId, event })));
  return targets.length;
}

/**
 * Stream consumer: turns each outbox event into one FIFO message per matching endpoint.
 * Records are handled in stream order; on a failure the batch reports that record, so Lambda
 * retries from it (earlier records are not re-sent; the dedup id covers overlaps).
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  let queued = 0;
  for (const record of event.Records) {
    try {
      queued += await routeRecord(record);
    } catch (error) {
      logger.error('Routing failed; retrying from this record', { error: error as Error, sequenceNumber: record.dynamodb?.SequenceNumber });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  logger.debug('Routed batch', { records: event.Records.length, queued });
  return { batchItemFailures: [] };
}
