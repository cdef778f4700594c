import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { sqs } from '../adapters/aws-clients';
import { cachedSubscriptions } from '../adapters/dynamo-subscription-store';
import { eventFromStreamRecord } from '../domain/outbox';
import { deduplicationId, matchesEventType, messageGroupId, type DeliveryMessage } from '../domain/webhook-message';
import { setting } from '../shared/config';
import { logger } from '../shared/logger';

async function routeRecord(record: DynamoDBRecord): Promise<number> {
  const event = eventFromStreamRecord(record);
  if (!event) return 0;
  const targets = (await cachedSubscriptions().forTenant(event.tenantId)).filter((s) => s.enabled && matchesEventType(s.eventTypes, event.type));
  for (let i = 0; i < targets.length; i += 10) {
    const chunk = targets.slice(i, i + 10);
    const result = await sqs().send(
      new SendMessageBatchCommand({
        QueueUrl: setting('DELIVERY_QUEUE_URL'),
        Entries: chunk.map((sub, index) => ({
          Id: String(index),
          MessageBody: JSON.stringify({ tenantId: event.tenantId, subscriptionId: sub.subscriptionId, event } satisfies DeliveryMessage),
          MessageGroupId: messageGroupId(sub.subscriptionId, event.memberId),
          MessageDeduplicationId: deduplicationId(sub.subscriptionId, event.id),
        })),
      }),
    );
    if (result.Failed?.length) {
      throw new Error(`SQS refused ${result.Failed.length} deliveries: ${result.Failed.map((f) => f.Code).join(', ')}`);
    }
  }
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
