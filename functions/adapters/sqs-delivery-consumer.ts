import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { correlationIdOf, deliveryMessage, type DeliveryMessage } from '../domain/webhooks/message';
import { processFifoBatch, type VisibilityChange, type Wait } from '../shared/fifo-batch';
import { logger } from '../shared/logger';
import { recordMetric } from '../shared/metrics';
import { traceRecord } from '../shared/tracer';

/** Handles one delivery: done (deleted from the queue) or a wait (it stays in flight that long). */
export type DeliveryHandler = (
  message: DeliveryMessage,
  receiveCount: number,
  sentAtMs?: number,
) => Promise<Wait | undefined>;

/**
 * The SQS side of the delivery function: reads each record of a FIFO batch into a delivery
 * message, hands it to the delivery service in order per message group, and turns the service's
 * waits into visibility changes. A record that is no delivery at all goes to the DLQ as it came.
 */
export class SqsDeliveryConsumer {
  constructor(
    private readonly client: SQSClient,
    private readonly queues: { deliveryQueueUrl: string; deadLetterQueueUrl: string },
    /** Messages not started while less than this is left of the invocation are handed back untouched. */
    private readonly reserveMs: number,
  ) {}

  async consume(records: SQSRecord[], handle: DeliveryHandler, remainingMs?: () => number): Promise<SQSBatchResponse> {
    const result = await processFifoBatch(records, (record) => this.deliver(record, handle), {
      ...(remainingMs ? { remainingMs } : {}),
      reserveMs: this.reserveMs,
    });
    if (result.visibility.length > 0) {
      try {
        await this.applyVisibility(result.visibility);
      } catch (error) {
        logger.warn('Visibility changes failed; messages return after the visibility timeout', {
          error: error as Error,
        });
      }
    }
    return { batchItemFailures: result.batchItemFailures };
  }

  private async deliver(record: SQSRecord, handle: DeliveryHandler): Promise<Wait | undefined> {
    const parsed = deliveryMessage.safeParse(safeJson(record.body));
    if (!parsed.success) {
      // Not a delivery at all: keep it, as it came, where an operator will look.
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queues.deadLetterQueueUrl,
          MessageBody: record.body,
          MessageGroupId: record.attributes.MessageGroupId ?? 'unreadable',
          MessageDeduplicationId: record.messageId,
        }),
      );
      recordMetric('MessagesDeadLettered');
      logger.error('Unreadable delivery message moved to the DLQ', { messageId: record.messageId });
      return;
    }
    const sentAt = Number(record.attributes.SentTimestamp);
    // Each delivery in its own trace subsegment, found by the correlation id of the event it carries.
    return traceRecord('### deliver', correlationIdOf(parsed.data), () =>
      handle(
        parsed.data,
        Number(record.attributes.ApproximateReceiveCount),
        Number.isFinite(sentAt) ? sentAt : undefined,
      ),
    );
  }

  /** ChangeMessageVisibility for held-back and waiting messages, in the order given (batches of 10). */
  private async applyVisibility(changes: VisibilityChange[]): Promise<void> {
    for (let i = 0; i < changes.length; i += 10) {
      const chunk = changes.slice(i, i + 10);
      const result = await this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queues.deliveryQueueUrl,
          Entries: chunk.map((change, index) => ({
            Id: String(index),
            ReceiptHandle: change.receiptHandle,
            VisibilityTimeout: change.seconds,
          })),
        }),
      );
      // A failed change only means the message returns after the queue's visibility timeout instead.
      if (result.Failed?.length)
        logger.warn('Some visibility changes failed', { failed: result.Failed.map((f) => f.Code) });
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
