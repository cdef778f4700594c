import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { queueEntry, type QueuedDelivery } from '../domain/webhooks/message';
import type { DeliveryQueue } from '../domain/webhooks/ports';

/**
 * The FIFO delivery queue as the router, replays and redrives use it: batches of 10, in order
 * (SQS keeps a batch's order within each message group); a refused entry fails the call.
 */
export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(messages: QueuedDelivery[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((message, index) => ({ Id: String(index), ...queueEntry(message) })),
        }),
      );
      if (result.Failed?.length)
        throw new Error(
          `SQS refused ${result.Failed.length} deliveries: ${result.Failed.map((f) => f.Code).join(', ')}`,
        );
    }
  }
}
