import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { cachedSubscriptions } from '../adapters/dynamo-subscription-store';
import { attemptDelivery } from '../adapters/webhook-sender';
import { deliveryMessage } from '../domain/webhook-message';
import { setting } from '../shared/config';
import { processFifoBatch } from '../shared/fifo-batch';
import { logger } from '../shared/logger';

async function deliver(record: SQSRecord): Promise<void> {
  const message = deliveryMessage.parse(JSON.parse(record.body));
  const subscription = await cachedSubscriptions().get(message.tenantId, message.subscriptionId);
  if (!subscription || !subscription.enabled) {
    logger.info('Endpoint gone or disabled; dropping delivery', { subscriptionId: message.subscriptionId, eventId: message.event.id });
    return;
  }
  const result = await attemptDelivery({
    subscription,
    event: message.event,
    timeoutMs: setting('WEBHOOK_TIMEOUT_MS'),
    allowLoopbackHttp: setting('WEBHOOK_ALLOW_LOOPBACK_HTTP') === 'true',
  });
  const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
  // A failed attempt logs the start of the endpoint's answer (why it refused); a success does not.
  const { responseBody, ...summary } = result;
  logger.info('Webhook attempt', {
    subscriptionId: subscription.subscriptionId,
    eventId: message.event.id,
    seq: message.event.seq,
    attempt,
    ...summary,
    ...(result.ok ? {} : { responseBody }),
  });
  if (!result.ok) throw new Error(`Delivery failed: ${result.status ?? result.error}`);
}

/**
 * SQS FIFO consumer: delivers each message as a signed webhook. A failure leaves the message
 * (and the later ones of its group) on the queue; SQS retries after the visibility timeout and
 * moves it to the DLQ with its full payload after maxReceiveCount.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  return processFifoBatch(event.Records, deliver);
}
