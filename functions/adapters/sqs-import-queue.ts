import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ImportStepMessage } from '../domain/imports';
import type { ImportQueue } from '../domain/imports-runner';

/** The import step queue (standard): one message per step of a job. */
export class SqsImportQueue implements ImportQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async schedule(message: ImportStepMessage, delaySeconds: number): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: delaySeconds,
      }),
    );
  }
}
