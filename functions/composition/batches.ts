import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient, lambdaClient, sqsClient } from '../adapters/aws-clients';
import { DynamoBatchStore } from '../adapters/dynamo-batch-store';
import { DynamoInboundQueueStore } from '../adapters/dynamo-inbound-queue-store';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store';
import { changeVisibility, SqsCommandQueue } from '../adapters/sqs-command-queue';
import { AwsInboundQueueInfrastructure } from '../adapters/sqs-inbound-queues';
import { memberView } from '../api/ledger-views';
import type { LedgerService } from '../domain/ledger-service';
import { applyCommand, commandScope } from '../api/inbound-commands';
import { requestHash } from '../api/request-hash';
import { BatchCommandWorker, BatchService } from '../domain/batch-service';
import { retryDelaySeconds, type CommandMessage } from '../domain/batches';
import { InboundQueueAdmin, InboundQueueWorker, type SubmitBatch } from '../domain/inbound-queue-service';
import { inboundQueuePrefix } from '../declaration/topology';
import { ttlCache } from '../shared/ttl-cache';
import { systemClock } from '../shared/clock';
import type { VisibilityChange, Wait } from '../shared/fifo-batch';
import { logger } from '../shared/logger';
import { newId } from '../shared/ids';
import { commandServicesOn } from './command-services';
import { setting } from './config';

/** The API's side of batches: the table and the command queue (set up on the first batch). */
export function batchService(
  dynamo: DynamoDBDocumentClient,
  ledger: LedgerService,
  newBatchId: () => string = () => newId('bat'),
): BatchService {
  let queue: SqsCommandQueue | undefined;
  return new BatchService(
    new DynamoBatchStore(dynamo, setting('TABLE_NAME')),
    { send: (messages) => (queue ??= new SqsCommandQueue(sqsClient(), setting('BATCH_QUEUE_URL'))).send(messages) },
    systemClock,
    newBatchId,
    async (tenantId, memberId) => {
      const { profile, balance } = await ledger.getMember(tenantId, memberId);
      return { statusCode: 200, body: memberView(profile, balance) };
    },
  );
}

/**
 * The command worker's composition: the ledger side only (ledger, offers, reward catalogue, audit trail, tenants),
 * all on the table, and its own queue's visibility (a retried command's wait). No KMS key, queue sender, throttling
 * or webhook services: its function is granted none.
 */
export function commandWorker(): {
  /** Applies a message's command; a platform failure is logged and answered with the wait before its next try. */
  apply: (body: string, receiveCount: number) => Promise<Wait | undefined>;
  changeVisibility: (changes: VisibilityChange[]) => Promise<void>;
} {
  const dynamo = documentClient();
  const tableName = setting('TABLE_NAME');
  const { services, resolve } = commandServicesOn(dynamo, tableName);
  const worker = new BatchCommandWorker(new DynamoBatchStore(dynamo, tableName), systemClock);
  const sqs = sqsClient();
  const queueUrl = setting('BATCH_QUEUE_URL');
  return {
    apply: async (body, receiveCount) => {
      try {
        await worker.apply(JSON.parse(body) as CommandMessage, (m) => applyCommand(m, services, resolve));
        return undefined;
      } catch (error) {
        const waitSeconds = retryDelaySeconds(receiveCount);
        logger.warn('Command failed; retrying it after a wait', { receiveCount, waitSeconds, error: error as Error });
        return { waitSeconds };
      }
    },
    changeVisibility: (changes) => changeVisibility(sqs, queueUrl, changes),
  };
}

/** The admin API's side of tenants' inbound queues: registrations in the table, queues and mappings on AWS. */
export function inboundQueueAdmin(dynamo: DynamoDBDocumentClient): InboundQueueAdmin {
  const tableName = setting('TABLE_NAME');
  let infrastructure: AwsInboundQueueInfrastructure | undefined;
  // Clients are made on first use: most API requests never touch an inbound queue.
  const aws = () =>
    (infrastructure ??= new AwsInboundQueueInfrastructure(
      sqsClient({ useQueueUrlAsEndpoint: false }),
      lambdaClient(),
      setting('INBOUND_WORKER_ARN'),
    ));
  return new InboundQueueAdmin(
    new DynamoInboundQueueStore(dynamo, tableName),
    {
      createQueue: (name, attributes, tags) => aws().createQueue(name, attributes, tags),
      setPolicy: (url, policy) => aws().setPolicy(url, policy),
      ensureMapping: (queueArn) => aws().ensureMapping(queueArn),
      deleteMapping: (mappingId) => aws().deleteMapping(mappingId),
      deleteQueue: (url) => aws().deleteQueue(url),
    },
    new DynamoTenantStore(dynamo, tableName),
    systemClock,
    inboundQueuePrefix(setting('STAGE')),
  );
}

/** How long the inbound worker trusts a queue's registration: a removed queue's messages stop within it. */
const REGISTRATION_CACHE_MS = 30_000;

/**
 * The inbound worker's composition: registrations (cached briefly) and batches submitted as POST /v1/batches does,
 * onto the platform's command queue, with the batch id and Idempotency-Key the message gives.
 */
export function inboundWorker(): InboundQueueWorker {
  const dynamo = documentClient();
  const store = new DynamoInboundQueueStore(dynamo, setting('TABLE_NAME'));
  // An unknown queue is not cached (a failed load is not kept): its message is retried and finds it registered.
  const registrations = ttlCache(
    async (queueArn) => {
      const queue = await store.getByArn(queueArn);
      if (!queue) throw new Error(`No inbound queue is registered for ${queueArn}`);
      return queue;
    },
    REGISTRATION_CACHE_MS,
    systemClock,
  );
  const noMemberReplies = () => Promise.reject(new Error('The inbound worker renders no results'));
  const queue = new SqsCommandQueue(sqsClient(), setting('BATCH_QUEUE_URL'));
  const submit: SubmitBatch = async ({ tenantId, batchId, idempotencyKey, principal, correlationId, commands }) => {
    const batches = new BatchService(
      new DynamoBatchStore(dynamo, setting('TABLE_NAME')),
      queue,
      systemClock,
      () => batchId,
      noMemberReplies,
    );
    // Hashed as the REST request would be: the key is the queue's own, so no REST call can share it.
    const idem = { key: idempotencyKey, requestHash: requestHash('POST', '/v1/batches', { commands }), correlationId };
    return batches.submit(tenantId, principal, idem, commands);
  };
  return new InboundQueueWorker((arn) => registrations.get(arn), store, submit, systemClock, commandScope);
}
