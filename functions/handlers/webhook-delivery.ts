import { ChangeMessageVisibilityBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { dynamo, sqs } from '../adapters/aws-clients';
import { DeliveryWorker, configuredPolicy } from '../adapters/delivery-worker';
import { DynamoDeliveryStore } from '../adapters/dynamo-delivery-store';
import { DynamoParkingStore } from '../adapters/dynamo-parking-store';
import { cachedSubscriptions } from '../adapters/dynamo-subscription-store';
import { SqsDeliveryQueue } from '../adapters/sqs-delivery-queue';
import { DynamoDigestStore } from '../adapters/dynamo-digest-store';
import { postSigned } from '../adapters/webhook-sender';
import { deliveryMessage } from '../domain/webhook-message';
import { setting } from '../shared/config';
import { processFifoBatch, type VisibilityChange } from '../shared/fifo-batch';
import { logger } from '../shared/logger';

let worker: DeliveryWorker | undefined;

function deliveryWorker(): DeliveryWorker {
  if (worker) return worker;
  const table = setting('TABLE_NAME');
  const retentionDays = setting('WEBHOOK_LOG_RETENTION_DAYS');
  const queue = new SqsDeliveryQueue(sqs(), setting('DELIVERY_QUEUE_URL'));
  const deadLetters = new SqsDeliveryQueue(sqs(), setting('DEAD_LETTER_QUEUE_URL'));
  worker = new DeliveryWorker({
    store: new DynamoDeliveryStore(dynamo(), table, retentionDays),
    endpoint: (tenantId, subscriptionId) => cachedSubscriptions().get(tenantId, subscriptionId),
    send: (subscription, message) =>
      postSigned({ subscription, ...message, timeoutMs: setting('WEBHOOK_TIMEOUT_MS'), allowLoopbackHttp: setting('WEBHOOK_ALLOW_LOOPBACK_HTTP') }),
    digests: new DynamoDigestStore(dynamo(), table, retentionDays),
    // Redriven rounds and wake-up copies of parked messages go back to the delivery queue.
    requeue: (message) => queue.enqueue([message]),
    // The DLQ copy is the whole delivery plus why it died.
    deadLetter: (message, detail) => deadLetters.enqueue([{ ...message, deadLetter: { ...detail, at: new Date().toISOString() } }]),
    policy: configuredPolicy(),
    attemptTimeoutSeconds: Math.ceil(setting('WEBHOOK_TIMEOUT_MS') / 1000),
    // A failing endpoint keeps a few messages waiting in flight and parks the rest (the queue's in-flight cap is shared).
    parking: new DynamoParkingStore(dynamo(), table, retentionDays),
    maxWaitingPerEndpoint: setting('WEBHOOK_MAX_WAITING_PER_ENDPOINT'),
  });
  return worker;
}

async function deliver(record: SQSRecord) {
  const parsed = deliveryMessage.safeParse(safeJson(record.body));
  if (!parsed.success) {
    // Not a delivery at all: keep it, as it came, where an operator will look.
    await sqs().send(
      new SendMessageCommand({
        QueueUrl: setting('DEAD_LETTER_QUEUE_URL'),
        MessageBody: record.body,
        MessageGroupId: record.attributes.MessageGroupId ?? 'unreadable',
        MessageDeduplicationId: record.messageId,
      }),
    );
    logger.error('Unreadable delivery message moved to the DLQ', { messageId: record.messageId });
    return;
  }
  const sentAt = Number(record.attributes.SentTimestamp);
  return deliveryWorker().handle(parsed.data, Number(record.attributes.ApproximateReceiveCount ?? '1'), Number.isFinite(sentAt) ? sentAt : undefined);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** ChangeMessageVisibility for held-back and waiting messages, in the order given (batches of 10). */
async function applyVisibility(queueUrl: string, changes: VisibilityChange[]): Promise<void> {
  for (let i = 0; i < changes.length; i += 10) {
    const chunk = changes.slice(i, i + 10);
    const result = await sqs().send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((change, index) => ({ Id: String(index), ReceiptHandle: change.receiptHandle, VisibilityTimeout: change.seconds })),
      }),
    );
    // A failed change only means the message returns after the queue's visibility timeout instead.
    if (result.Failed?.length) logger.warn('Some visibility changes failed', { failed: result.Failed.map((f) => f.Code) });
  }
}

/**
 * SQS FIFO consumer: delivers each message as a signed webhook, in order per member and endpoint.
 * A message that fails or must wait stays in flight for its wait (ChangeMessageVisibility), so
 * its member's later messages wait behind it while every other group keeps flowing.
 */
export async function handler(event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> {
  const result = await processFifoBatch(event.Records, deliver, {
    ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
    reserveMs: setting('WEBHOOK_TIMEOUT_MS') + 5_000,
  });
  if (result.visibility.length > 0) {
    try {
      await applyVisibility(setting('DELIVERY_QUEUE_URL'), result.visibility);
    } catch (error) {
      logger.warn('Visibility changes failed; messages return after the visibility timeout', { error: error as Error });
    }
  }
  return { batchItemFailures: result.batchItemFailures };
}
