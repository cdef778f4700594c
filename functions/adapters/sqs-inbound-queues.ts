import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { InboundQueueInfrastructure } from '../domain/inbound-queue-service';
import { INBOUND_BATCH_SIZE } from '../domain/inbound-queues';
import { required } from '../shared/required';

const GONE = new Set(['ResourceNotFoundException', 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue']);
const ignoreGone = (error: unknown) => {
  if (!GONE.has((error as Error).name)) throw error;
};

/**
 * Tenants' inbound queues on SQS and their event-source mappings to the inbound worker (Lambda), with the admin
 * function's own credentials: its grant covers the stage's `<prefix>-inbound-*` queues and mappings to that one
 * function only (functions/declaration/iam-policy.ts).
 */
export class AwsInboundQueueInfrastructure implements InboundQueueInfrastructure {
  constructor(
    private readonly sqs: SQSClient,
    private readonly lambda: LambdaClient,
    /** The inbound worker the mappings invoke (its `live` alias deployed). */
    private readonly workerArn: string,
  ) {}

  async createQueue(
    name: string,
    attributes: Record<string, string>,
    tags: Record<string, string>,
  ): Promise<{ url: string; arn: string }> {
    const { QueueUrl } = await this.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes, tags }));
    const url = required(QueueUrl, `CreateQueue ${name} URL`);
    const { Attributes } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    return { url, arn: required(Attributes?.QueueArn, `queue ${name} ARN`) };
  }

  async setPolicy(url: string, policy: Record<string, unknown>): Promise<void> {
    await this.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: JSON.stringify(policy) } }),
    );
  }

  async ensureMapping(queueArn: string): Promise<string> {
    const { EventSourceMappings } = await this.lambda.send(
      new ListEventSourceMappingsCommand({ EventSourceArn: queueArn, FunctionName: this.workerArn }),
    );
    const existing = EventSourceMappings?.find((mapping) => mapping.UUID);
    if (existing?.UUID) return existing.UUID;
    const created = await this.lambda.send(
      new CreateEventSourceMappingCommand({
        EventSourceArn: queueArn,
        FunctionName: this.workerArn,
        BatchSize: INBOUND_BATCH_SIZE,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        Enabled: true,
      }),
    );
    return required(created.UUID, 'CreateEventSourceMapping UUID');
  }

  async deleteMapping(mappingId: string): Promise<void> {
    await this.lambda.send(new DeleteEventSourceMappingCommand({ UUID: mappingId })).catch(ignoreGone);
  }

  async deleteQueue(url: string): Promise<void> {
    await this.sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(ignoreGone);
  }
}
