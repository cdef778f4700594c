import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { dynamo, sqs } from '../adapters/aws-clients';
import { DynamoDigestStore } from '../adapters/dynamo-digest-store';
import { cachedSubscriptions } from '../adapters/dynamo-subscription-store';
import { eventFromStreamRecord } from '../domain/outbox';
import { SqsDeliveryQueue } from '../adapters/sqs-delivery-queue';
import { matchesEventType } from '../domain/webhook-message';
import { setting } from '../shared/config';
import { logger } from '../shared/logger';

let queue: SqsDeliveryQueue | undefined;
const deliveryQueue = () => (queue ??= new SqsDeliveryQueue(sqs(), setting('DELIVERY_QUEUE_URL')));
let digestStore: DynamoDigestStore | undefined;
const digests = () => (digestStore ??= new DynamoDigestStore(dynamo(), setting('TABLE_NAME'), setting('WEBHOOK_LOG_RETENTION_DAYS')));

async function routeRecord(record: DynamoDBRecord): Promise<number> {
  const event = eventFromStreamRecord(record);
  if (!event) return 0;
  const targets = (await cachedSubscriptions().forTenant(event.tenantId)).filter((s) => matchesEventType(s.eventTypes, event.type));
  const immediate = targets.filter((sub) => !sub.digest);
  await deliveryQueue().enqueue(immediate.map((sub) => ({ tenantId: event.tenantId, subscriptionId: sub.subscriptionId, event })));
  // Digest endpoints: the event joins the endpoint's current window; the window's first event queues its delivery.
  for (const sub of targets.filter((target) => target.digest)) {
    const { digest, queue: mustQueue } = await digests().add(event.tenantId, sub.subscriptionId, event, sub.digest!.intervalSeconds, new Date());
    if (mustQueue) {
      await deliveryQueue().enqueue([{ tenantId: event.tenantId, subscriptionId: sub.subscriptionId, digest }]);
      await digests().markQueued(event.tenantId, sub.subscriptionId, digest);
    }
  }
  return targets.length;
}

/**
 * Stream consumer: turns each outbox event into one FIFO message per matching endpoint (or adds it
 * to a digest endpoint's current window). Disabled endpoints get theirs too: the delivery function
 * parks them as dead letters, to be redriven once the endpoint is enabled again.
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
