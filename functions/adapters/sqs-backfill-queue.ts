import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { BackfillMessage } from '../domain/backfill';
import type { BackfillQueue } from '../domain/backfill-runner';

/** The backfill queue (standard): one message per slice, its delay the wait the rate asks for. */
export class SqsBackfillQueue implements BackfillQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async schedule(message: BackfillMessage, delaySeconds: number): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: delaySeconds,
      }),
    );
  }
}
