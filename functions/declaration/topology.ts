/**
 * The one declaration of the platform's moving parts: the table, queues, raw-event delivery
 * stream, functions and their triggers. The CDK stacks and the local twin are both built from
 * it, and a test synthesizes the app and compares the template with it, so they cannot drift.
 *
 * Plain data only: no CDK imports, so the twin can load it without the CDK.
 */

import { nodeRuntime } from './runtime';
import { metricsNamespace } from './metrics';
import { stageSettingsFor } from './stages';

/** The queues of the platform, named up front so specs can refer to each other by a checked id. */
export type QueueId =
  | 'webhookDelivery'
  | 'webhookDeliveryDlq'
  | 'streamFailures'
  | 'scheduledJobFailures'
  | 'backfill'
  | 'backfillDlq'
  | 'batchCommands'
  | 'batchCommandsDlq'
  | 'importSteps'
  | 'importStepsDlq';

export type ResourceRef =
  | { ref: 'table' }
  | { ref: 'queueUrl'; queue: QueueId }
  | { ref: 'rawEventsStream' }
  /** The master key of webhook signing secrets (a KMS key ARN deployed, the twin's own key locally). */
  | { ref: 'secretsKey' }
  /** Where tenants are throttled: `api-gateway:<rest api id>/<stage>` deployed, `local` on the twin. */
  | { ref: 'tenantThrottling' }
  /** The API's public base URL: the `iss` of access tokens. */
  | { ref: 'apiBaseUrl' }
  /** The key that signs access tokens now (the active slot of `tokenSigningKeys`). */
  | { ref: 'tokenSigningKey' }
  /** Every key slot whose public key verifies access tokens (comma-separated). */
  | { ref: 'tokenPublicKeys' }
  | { ref: 'literal'; value: string }
  /** The lake bucket's name (deployed: the raw-events bucket; the twin: its local bucket). */
  | { ref: 'lakeBucket' }
  /**
   * Another function's ARN (deployed: its `live` alias), for what the function hands it to (event-source mappings).
   * Named by its id in `functions` (a string: the function specs cannot name their own keys' type).
   */
  | { ref: 'functionArn'; function: string }
  /** The imports bucket's name (deployed: the stack's bucket; the twin: its local bucket). */
  | { ref: 'importsBucket' };

export const table = {
  id: 'Ledger',
  localName: 'loyalty-ledger',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  billingMode: 'PAY_PER_REQUEST',
  /** Consumers read complete outbox event items, so the new image is all a record needs. */
  streamViewType: 'NEW_IMAGE',
  timeToLiveAttribute: 'expiresAt',
  /**
   * Outbox event items expire this long after their event (TTL): by then the stream (24 h), the
   * webhooks (their own log) and the lake have them. Ledger entries never expire. This is also the event
   * feed's retention (`GET /v1/events` serves what the outbox keeps): raise it here to keep a longer feed.
   */
  outboxRetentionDays: 30,
  /**
   * `members`: a tenant's members by id (creation order), sharded so bulk enrolment is no hot key.
   * `due`: members with housekeeping due (holds ending, lots expiring), sharded across tenants.
   * `deliveries`: a webhook endpoint's messages by event time and its attempts by attempt time.
   * `feed`: a tenant's outbox events by commit time then event id, sharded (the event feed, domain/feed.ts).
   */
  globalSecondaryIndexes: [
    { indexName: 'members', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'ALL' },
    { indexName: 'due', partitionKey: 'duePk', sortKey: 'dueAt', projection: 'KEYS_ONLY' },
    { indexName: 'deliveries', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: 'ALL' },
    { indexName: 'feed', partitionKey: 'feedPk', sortKey: 'feedSk', projection: 'ALL' },
  ] as IndexSpec[],
  /** `byTime`: a member's ledger entries by commit time (history ranges, balance as of a time). */
  localSecondaryIndexes: [{ indexName: 'byTime', sortKey: 'lsi1sk', projection: 'ALL' }] as Omit<
    IndexSpec,
    'partitionKey'
  >[],
} as const;

export interface IndexSpec {
  indexName: string;
  partitionKey: string;
  sortKey: string;
  projection: 'ALL' | 'KEYS_ONLY';
}

export interface QueueSpec {
  id: string;
  localName: string;
  fifo: boolean;
  visibilityTimeoutSeconds: number;
  retentionPeriodSeconds: number;
  /** Where messages go after `maxReceiveCount` failed receives. */
  deadLetter?: { queue: QueueId; maxReceiveCount: number };
  /**
   * FIFO high-throughput mode: deduplication and the throughput quota per message group instead of per queue
   * (`DeduplicationScope: messageGroup`, `FifoThroughputLimit: perMessageGroupId`).
   */
  highThroughput?: boolean;
}

const DAY_S = 86_400;

export const queues = {
  webhookDelivery: {
    id: 'WebhookDeliveryQueue',
    localName: 'webhook-delivery.fifo',
    fifo: true,
    // At least six times the delivery function's timeout (AWS guidance for SQS triggers).
    visibilityTimeoutSeconds: 6 * 60,
    retentionPeriodSeconds: 14 * DAY_S,
    // The delivery function counts attempts itself and dead-letters after the retry schedule;
    // waiting (breaker open, rate cap) also counts as a receive, so SQS's own redrive is only the
    // backstop for messages that crash the function (its maximum, 1000).
    deadLetter: { queue: 'webhookDeliveryDlq', maxReceiveCount: 1000 },
  },
  webhookDeliveryDlq: {
    id: 'WebhookDeliveryDlq',
    localName: 'webhook-delivery-dlq.fifo',
    fifo: true,
    visibilityTimeoutSeconds: 30,
    retentionPeriodSeconds: 14 * DAY_S,
  },
  streamFailures: {
    id: 'StreamFailuresQueue',
    localName: 'stream-failures',
    fifo: false,
    visibilityTimeoutSeconds: 30,
    retentionPeriodSeconds: 14 * DAY_S,
  },
  scheduledJobFailures: {
    id: 'ScheduledJobFailuresQueue',
    localName: 'scheduled-job-failures',
    fifo: false,
    visibilityTimeoutSeconds: 30,
    retentionPeriodSeconds: 14 * DAY_S,
  },
  /** One message per backfill slice, each delayed to keep the backfill's rate (domain/backfill.ts). */
  backfill: {
    id: 'BackfillQueue',
    localName: 'backfill',
    fifo: false,
    // Six times the backfill function's timeout.
    visibilityTimeoutSeconds: 6 * 120,
    retentionPeriodSeconds: 4 * DAY_S,
    // The function marks a backfill failed on its 4th try of a slice; a message that still fails crashed it.
    deadLetter: { queue: 'backfillDlq', maxReceiveCount: 5 },
  },
  backfillDlq: {
    id: 'BackfillDlq',
    localName: 'backfill-dlq',
    fifo: false,
    visibilityTimeoutSeconds: 30,
    retentionPeriodSeconds: 14 * DAY_S,
  },
  /** Batches' commands (domain/batches.ts): one message group per member, so a member's commands apply in order. */
  batchCommands: {
    id: 'BatchCommandsQueue',
    localName: 'batch-commands.fifo',
    fifo: true,
    // Six times the batch worker's timeout.
    visibilityTimeoutSeconds: 6 * 30,
    retentionPeriodSeconds: 4 * DAY_S,
    // A command's own 4xx is a result, never a failure: only platform failures (5xx, throttling, contention) are
    // retried, 5 receives in all, then the command waits in the DLQ for a redrive (docs/runbooks/batch-dlq.md).
    deadLetter: { queue: 'batchCommandsDlq', maxReceiveCount: 5 },
    // Groups are members: each group's own quota, not one per queue, bounds batches (deduplication ids are per
    // command, so deduplicating within a group loses nothing).
    highThroughput: true,
  },
  batchCommandsDlq: {
    id: 'BatchCommandsDlq',
    localName: 'batch-commands-dlq.fifo',
    fifo: true,
    visibilityTimeoutSeconds: 30,
    retentionPeriodSeconds: 14 * DAY_S,
  },
  /** One message per step of an import job (domain/imports.ts); a step chains the next. */
  importSteps: {
    id: 'ImportStepsQueue',
    localName: 'import-steps',
    fifo: false,
    // Six times the import runner's timeout.
    visibilityTimeoutSeconds: 6 * 120,
    retentionPeriodSeconds: 4 * DAY_S,
    // The runner marks a job failed on its 4th try of a step (resumable); a message that still fails crashed it.
    deadLetter: { queue: 'importStepsDlq', maxReceiveCount: 5 },
  },
  importStepsDlq: {
    id: 'ImportStepsDlq',
    localName: 'import-steps-dlq',
    fifo: false,
    visibilityTimeoutSeconds: 30,
    retentionPeriodSeconds: 14 * DAY_S,
  },
} as const satisfies Record<QueueId, QueueSpec>;

/** A partition key of the raw-event files: one field of the event, optionally a slice of it. */
export interface LakePartitionKey {
  name: string;
  field: 'tenantId' | 'type' | 'occurredAt';
  slice?: [number, number];
}

export const rawEvents = {
  id: 'RawEvents',
  localName: 'loyalty-raw-events',
  bucketId: 'RawEventsBucket',
  localBucketName: 'loyalty-raw-events',
  // Buffering (how long and how much Firehose gathers per file) differs by stage: `lakeBuffering` in stages.ts.
  compression: 'GZIP',
  fileExtension: '.ndjson.gz',
  /**
   * Partitioned by tenant and the event's own timestamp, never by arrival time. The event type is a
   * field of each line, not a partition: a partition per type would multiply the active partitions
   * by the number of types (see `capacity`).
   */
  partitionKeys: [
    { name: 'tenant', field: 'tenantId' },
    { name: 'date', field: 'occurredAt', slice: [0, 10] },
    { name: 'hour', field: 'occurredAt', slice: [11, 13] },
  ] as LakePartitionKey[],
  prefixTemplate: 'events/tenant={tenant}/date={date}/hour={hour}/',
  errorPrefix: 'errors/!{firehose:error-output-type}/date=!{timestamp:yyyy-MM-dd}/',
  /**
   * What one stream is sized for: Firehose's default quota of active partitions (raise it through
   * Service Quotas before onboarding more tenants) and the tenants that fit under it with headroom.
   */
  capacity: { tenants: 200, activePartitionQuota: 500 },
} as const;

/**
 * The imports bucket: tenants' input files (uploaded through presigned PUTs) and their error reports, under
 * `imports/<tenant>/<import id>/`. Encrypted, never public, TLS only; everything expires after `retentionDays`
 * (data minimisation: an import's rows live in the ledger, the file is only its vehicle).
 */
export const importsBucket = {
  bucketId: 'ImportsBucket',
  localBucketName: 'loyalty-imports',
  prefix: 'imports/',
  retentionDays: 14,
} as const;

export interface DynamoStreamTrigger {
  kind: 'dynamodb-stream';
  batchSize: number;
  maxBatchingWindowSeconds: number;
  bisectBatchOnError: boolean;
  retryAttempts: number;
  maxRecordAgeSeconds: number;
  parallelizationFactor: number;
  reportBatchItemFailures: true;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  onFailure: QueueId;
  /** Lambda event filter patterns (AWS syntax); only outbox event inserts reach the consumers. */
  filterPatterns: Record<string, unknown>[];
}

export interface SqsTrigger {
  kind: 'sqs';
  queue: QueueId;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  reportBatchItemFailures: true;
  maxConcurrency: number;
}

/** EventBridge Scheduler invoking the function at a fixed rate; the twin runs a timer with the same rate. */
export interface ScheduleTrigger {
  kind: 'schedule';
  everyMinutes: number;
  /** Scheduler's retries of handing the invocation to Lambda (not of a run that fails), and for how long. */
  retryAttempts: number;
  maxEventAgeSeconds: number;
  /**
   * Lambda's asynchronous invocation of the run: retries of a run that threw (Lambda's default is 2,
   * spread over up to 6 hours, overlapping later runs), how long a throttled run may still start,
   * and the queue that receives the record of a run that failed for good.
   */
  asyncInvoke: { retryAttempts: 0 | 1 | 2; maxEventAgeSeconds: number; onFailure: QueueId };
}

export interface FunctionSpec {
  id: string;
  entry: string;
  handler: string;
  description: string;
  timeoutSeconds: number;
  memoryMiB: number;
  environment: Record<string, ResourceRef>;
  trigger?: DynamoStreamTrigger | SqsTrigger | ScheduleTrigger;
  /** What the function may do; the stacks turn this into least-privilege grants. */
  access: {
    /** `readUpdate`: reads and UpdateItem only (no puts, deletes or batch writes). */
    table?: 'read' | 'readUpdate' | 'readWrite';
    sendTo?: QueueId[];
    rawEvents?: boolean;
    /** Webhook signing secrets: `seal` new ones and open them (API), or only `open` them (delivery). */
    webhookSecrets?: 'seal' | 'open';
    /** Tenants' pseudonymisation keys (same master key, their own context): `seal` (API) or only `open` (lake). */
    pseudonymKeys?: 'seal' | 'open';
    /** Keeps tenants in the API Gateway usage plans of their limits (usage plans and API keys). */
    tenantThrottling?: boolean;
    /** Access-token keys: `sign` with the active key (the token function only), `verify` with their public keys. */
    tokenKeys?: 'sign' | 'verify';
    /** Puts scheduled-export files under `exports/` in the lake bucket (encrypted with the lake key). */
    lakeExports?: boolean;
    /**
     * Tenants' inbound queues (`<prefix>-inbound-*`, made at run time): `manage` creates and removes them and their
     * mappings to the inbound worker (the admin API); `consume` receives from them (the inbound worker).
     */
    inboundQueues?: 'manage' | 'consume';
    /** Reads and writes objects under `imports/` in the imports bucket (and signs URLs that do). */
    imports?: boolean;
  };
}

/** Outbox event items carry `kind = "event"`; everything else in the table is state. */
export const OUTBOX_EVENT_FILTER = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { kind: { S: ['event'] } } },
};

/**
 * A table-stream trigger that hands outbox event inserts to a consumer: bisected and retried in
 * per-item order (one poller per shard), partial batch responses, and what still fails goes to
 * `streamFailures`. Consumers choose only their batching and how old a record may get.
 */
const outboxStreamTrigger = (
  batching: Pick<DynamoStreamTrigger, 'batchSize' | 'maxBatchingWindowSeconds' | 'maxRecordAgeSeconds'>,
): DynamoStreamTrigger => ({
  kind: 'dynamodb-stream',
  ...batching,
  bisectBatchOnError: true,
  retryAttempts: 10,
  parallelizationFactor: 1,
  reportBatchItemFailures: true,
  startingPosition: 'TRIM_HORIZON',
  onFailure: 'streamFailures',
  filterPatterns: [OUTBOX_EVENT_FILTER],
});

export const functions = {
  api: {
    id: 'ApiFunction',
    entry: 'functions/handlers/api.ts',
    handler: 'handler',
    description: 'Loyalty API: members, points, balances, programme, webhook endpoints',
    // Below API Gateway's 29 s; a request queued behind many writers of one member may use 20 s of it.
    timeoutSeconds: 25,
    memoryMiB: 1024,
    environment: {
      TABLE_NAME: { ref: 'table' },
      DELIVERY_QUEUE_URL: { ref: 'queueUrl', queue: 'webhookDelivery' },
      WEBHOOK_SECRETS_KEY: { ref: 'secretsKey' },
      TENANT_THROTTLING: { ref: 'tenantThrottling' },
      BACKFILL_QUEUE_URL: { ref: 'queueUrl', queue: 'backfill' },
      BATCH_QUEUE_URL: { ref: 'queueUrl', queue: 'batchCommands' },
      INBOUND_WORKER_ARN: { ref: 'functionArn', function: 'inboundWorker' },
      IMPORT_QUEUE_URL: { ref: 'queueUrl', queue: 'importSteps' },
      IMPORTS_BUCKET_NAME: { ref: 'importsBucket' },
    },
    // Replays and redrives queue deliveries; endpoint creation and rotation seal secrets, reads and pings open them;
    // the tenant admin operations put tenants under their limits; lake settings seal the tenant's pseudonym key;
    // a backfill request queues its first slice; a batch queues its commands; an import signs its upload URL, checks
    // the upload and queues its first step.
    access: {
      table: 'readWrite',
      sendTo: ['webhookDelivery', 'backfill', 'batchCommands', 'importSteps'],
      imports: true,
      webhookSecrets: 'seal',
      pseudonymKeys: 'seal',
      tenantThrottling: true,
      // The admin API creates and removes tenants' inbound queues and their mappings.
      inboundQueues: 'manage',
    },
  },
  authorizer: {
    id: 'AuthorizerFunction',
    entry: 'functions/handlers/authorizer.ts',
    handler: 'handler',
    description: 'Authorizer: resolves an API key or an OAuth access token to a tenant and scopes',
    timeoutSeconds: 5,
    memoryMiB: 512,
    environment: {
      TABLE_NAME: { ref: 'table' },
      TOKEN_ISSUER: { ref: 'apiBaseUrl' },
      TOKEN_PUBLIC_KEYS: { ref: 'tokenPublicKeys' },
    },
    // Reads keys, clients and tenants; updates a key's last use (at most once a minute per key and container).
    access: { table: 'readUpdate', tokenKeys: 'verify' },
  },
  token: {
    id: 'TokenFunction',
    entry: 'functions/handlers/token.ts',
    handler: 'handler',
    description: 'OAuth 2.0 token endpoint (client credentials) and the JWKS of the access-token keys',
    timeoutSeconds: 10,
    memoryMiB: 512,
    environment: {
      TABLE_NAME: { ref: 'table' },
      TOKEN_ISSUER: { ref: 'apiBaseUrl' },
      TOKEN_SIGNING_KEY: { ref: 'tokenSigningKey' },
      TOKEN_PUBLIC_KEYS: { ref: 'tokenPublicKeys' },
    },
    // The only function that may sign tokens: reads clients and tenants, writes nothing.
    access: { table: 'read', tokenKeys: 'sign' },
  },
  webhookRouter: {
    id: 'WebhookRouterFunction',
    entry: 'functions/handlers/webhook-router.ts',
    handler: 'handler',
    description: 'Stream consumer: fans outbox events out to webhook deliveries (SQS FIFO, per member order)',
    timeoutSeconds: 30,
    memoryMiB: 512,
    environment: { TABLE_NAME: { ref: 'table' }, DELIVERY_QUEUE_URL: { ref: 'queueUrl', queue: 'webhookDelivery' } },
    // Writes digest windows for endpoints in digest mode.
    access: { table: 'readWrite', sendTo: ['webhookDelivery'] },
    trigger: outboxStreamTrigger({ batchSize: 100, maxBatchingWindowSeconds: 0, maxRecordAgeSeconds: 6 * 3600 }),
  },
  lakeRouter: {
    id: 'LakeRouterFunction',
    entry: 'functions/handlers/lake-router.ts',
    handler: 'handler',
    description: 'Stream consumer: writes outbox events to the raw-event delivery stream (Firehose to S3)',
    timeoutSeconds: 60,
    memoryMiB: 512,
    environment: {
      RAW_EVENTS_STREAM_NAME: { ref: 'rawEventsStream' },
      TABLE_NAME: { ref: 'table' },
      WEBHOOK_SECRETS_KEY: { ref: 'secretsKey' },
    },
    // Reads each tenant's lake settings and opens its pseudonymisation key (the API seals it).
    access: { rawEvents: true, table: 'read', pseudonymKeys: 'open' },
    trigger: outboxStreamTrigger({ batchSize: 500, maxBatchingWindowSeconds: 1, maxRecordAgeSeconds: 24 * 3600 }),
  },
  webhookDelivery: {
    id: 'WebhookDeliveryFunction',
    entry: 'functions/handlers/webhook-delivery.ts',
    handler: 'handler',
    description:
      'Delivers signed webhooks (Standard Webhooks) in order per member and endpoint, ' +
      'with retries, breaker and attempt log',
    // Room for a few 15 s attempts; a batch stops starting attempts when less than one is left.
    timeoutSeconds: 60,
    memoryMiB: 512,
    environment: {
      TABLE_NAME: { ref: 'table' },
      DELIVERY_QUEUE_URL: { ref: 'queueUrl', queue: 'webhookDelivery' },
      DEAD_LETTER_QUEUE_URL: { ref: 'queueUrl', queue: 'webhookDeliveryDlq' },
      WEBHOOK_SECRETS_KEY: { ref: 'secretsKey' },
    },
    // The DLQ after the last attempt; the delivery queue for a redriven DLQ copy's new round (`requeue`) and for
    // wake-up copies of parked messages (a failing endpoint's overflow). Signing opens the endpoint's secrets,
    // never seals new ones.
    access: { table: 'readWrite', sendTo: ['webhookDelivery', 'webhookDeliveryDlq'], webhookSecrets: 'open' },
    trigger: {
      kind: 'sqs',
      queue: 'webhookDelivery',
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      reportBatchItemFailures: true,
      maxConcurrency: 20,
    },
  },
  housekeeping: {
    id: 'HousekeepingFunction',
    entry: 'functions/handlers/housekeeping.ts',
    handler: 'handler',
    description:
      'Scheduled: activates held points, expires lots, announces points expiring soon, sends maintenance notices',
    timeoutSeconds: 120,
    memoryMiB: 512,
    environment: { TABLE_NAME: { ref: 'table' } },
    access: { table: 'readWrite' },
    // A run finds due members through the sharded `due` index and holds a lease, so runs never overlap. A failed
    // run is not retried: the next run a minute later finds the same members due; its record goes to a queue.
    trigger: {
      kind: 'schedule',
      everyMinutes: 1,
      retryAttempts: 2,
      maxEventAgeSeconds: 300,
      asyncInvoke: { retryAttempts: 0, maxEventAgeSeconds: 60, onFailure: 'scheduledJobFailures' },
    },
  },
  exports: {
    id: 'ExportsFunction',
    entry: 'functions/handlers/exports.ts',
    handler: 'handler',
    description:
      "Scheduled: writes the due windows of tenants' exports (balances, members, ledger entries) to the lake",
    timeoutSeconds: 300,
    memoryMiB: 1024,
    environment: {
      TABLE_NAME: { ref: 'table' },
      LAKE_BUCKET_NAME: { ref: 'lakeBucket' },
      WEBHOOK_SECRETS_KEY: { ref: 'secretsKey' },
    },
    // Writes run records and schedule state; opens tenants' pseudonym keys (the API seals them); puts files.
    access: { table: 'readWrite', pseudonymKeys: 'open', lakeExports: true },
    // Ticks find due exports through the `due` index and hold a lease, so ticks never overlap. A failed window is
    // recorded and stays due: the next tick redoes it, so Lambda does not retry the tick.
    trigger: {
      kind: 'schedule',
      everyMinutes: 1,
      retryAttempts: 2,
      maxEventAgeSeconds: 300,
      asyncInvoke: { retryAttempts: 0, maxEventAgeSeconds: 60, onFailure: 'scheduledJobFailures' },
    },
  },
  backfill: {
    id: 'BackfillFunction',
    entry: 'functions/handlers/backfill.ts',
    handler: 'handler',
    description: "Backfills: re-sends a time range of a tenant's events to the lake, slice by slice, at its rate",
    // A slice stops reading after 30 s; the rest is room for the last Firehose calls and the progress write.
    timeoutSeconds: 120,
    memoryMiB: 512,
    environment: {
      TABLE_NAME: { ref: 'table' },
      RAW_EVENTS_STREAM_NAME: { ref: 'rawEventsStream' },
      WEBHOOK_SECRETS_KEY: { ref: 'secretsKey' },
      BACKFILL_QUEUE_URL: { ref: 'queueUrl', queue: 'backfill' },
    },
    // Reads the feed index and records progress (conditional updates, the lock's delete); sends through the lake
    // router's path (the tenant's lake settings and pseudonym key); chains its next slice on its own queue.
    access: { table: 'readWrite', rawEvents: true, pseudonymKeys: 'open', sendTo: ['backfill'] },
    trigger: {
      kind: 'sqs',
      queue: 'backfill',
      batchSize: 1,
      maxBatchingWindowSeconds: 0,
      reportBatchItemFailures: true,
      // Backfills of different tenants run side by side; each runs one slice at a time by its chain.
      maxConcurrency: 5,
    },
  },
  batchWorker: {
    id: 'BatchWorkerFunction',
    entry: 'functions/handlers/batch-worker.ts',
    handler: 'handler',
    description: "Applies batches' commands through the REST operations, in order per member, and records results",
    // A command is one ledger commit; a batch of 10 commands of one member runs one after another.
    timeoutSeconds: 30,
    memoryMiB: 1024,
    // Its own queue's URL: a retried command's wait is a visibility change (the trigger's grant covers it).
    environment: { TABLE_NAME: { ref: 'table' }, BATCH_QUEUE_URL: { ref: 'queueUrl', queue: 'batchCommands' } },
    // The ledger side only: members, points, offers, rewards, the audit trail and the batches' results, all in the
    // table; no KMS key, no queue to send to, no throttling.
    access: { table: 'readWrite' },
    trigger: {
      kind: 'sqs',
      queue: 'batchCommands',
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      reportBatchItemFailures: true,
      // Members run side by side up to this; each group (member) still one message at a time.
      maxConcurrency: 10,
    },
  },
  /**
   * Tenants' inbound queues (docs/decisions/0015-inbound-queues.md): no trigger here, the admin API maps each queue
   * to it when the queue is made. The tenant is the queue's (its registration), never the message's.
   */
  inboundWorker: {
    id: 'InboundWorkerFunction',
    entry: 'functions/handlers/inbound-worker.ts',
    handler: 'handler',
    description: "Submits messages of tenants' inbound queues as batches, for the queue's tenant",
    timeoutSeconds: 30,
    memoryMiB: 512,
    environment: { TABLE_NAME: { ref: 'table' }, BATCH_QUEUE_URL: { ref: 'queueUrl', queue: 'batchCommands' } },
    // Reads registrations and writes batches (as POST /v1/batches does), queues their commands, and receives from
    // the tenants' queues (Lambda checks this grant when a mapping is created).
    access: { table: 'readWrite', sendTo: ['batchCommands'], inboundQueues: 'consume' },
  },
  importRunner: {
    id: 'ImportRunnerFunction',
    entry: 'functions/handlers/import-runner.ts',
    handler: 'handler',
    description: "Import jobs: applies an uploaded file's rows step by step, at the job's rate, with checkpoints",
    // A step stops starting chunks after 45 s; the rest is room for the last chunk and the checkpoint.
    timeoutSeconds: 120,
    memoryMiB: 1024,
    environment: {
      TABLE_NAME: { ref: 'table' },
      IMPORT_QUEUE_URL: { ref: 'queueUrl', queue: 'importSteps' },
      IMPORTS_BUCKET_NAME: { ref: 'importsBucket' },
    },
    // The ledger side (members, their items, the jobs, the lease) in the table; reads inputs and writes reports;
    // chains its next step on its own queue.
    access: { table: 'readWrite', sendTo: ['importSteps'], imports: true },
    trigger: {
      kind: 'sqs',
      queue: 'importSteps',
      batchSize: 1,
      maxConcurrency: 2,
      maxBatchingWindowSeconds: 0,
      reportBatchItemFailures: true,
    },
  },
} as const satisfies Record<string, FunctionSpec>;

/**
 * The prefix of every queue a stage makes at run time (tenants' inbound queues): the admin function's grant covers
 * `<prefix>-inbound-*` and nothing else.
 */
export const inboundQueuePrefix = (stage: string): string => `loyalty-${stage}`;

export type FunctionId = keyof typeof functions;

/** Queues that another queue's redrive policy moves messages to. */
export function redriveTargetIds(): Set<QueueId> {
  return new Set(
    (Object.values(queues) as QueueSpec[]).flatMap((spec) => (spec.deadLetter ? [spec.deadLetter.queue] : [])),
  );
}

/**
 * Queues that receive what failed elsewhere: a redrive target, or a stream's or a schedule's on-failure destination.
 * The stack's dead-letter alarms and the dashboard's dead-letter panels (on AWS and on the twin) follow this rule.
 */
export function deadLetterQueueIds(): QueueId[] {
  const ids = redriveTargetIds();
  for (const fn of Object.values(functions) as FunctionSpec[]) {
    if (fn.trigger?.kind === 'dynamodb-stream') ids.add(fn.trigger.onFailure);
    if (fn.trigger?.kind === 'schedule') ids.add(fn.trigger.asyncInvoke.onFailure);
  }
  return [...ids];
}

/** Where a ResourceRef points in one deployment: the CDK stack's resources or the twin's stand-ins. */
export interface ResourceTargets {
  table: string;
  queueUrl(queue: QueueId): string;
  rawEventsStream: string;
  secretsKey: string;
  tenantThrottling: string;
  apiBaseUrl: string;
  tokenSigningKey: string;
  tokenPublicKeys: string;
  lakeBucket: string;
  functionArn(id: FunctionId): string;
  importsBucket: string;
}

/** A function's environment variables, resolved against one deployment's resources. */
export function resolveEnvironment(spec: FunctionSpec, targets: ResourceTargets): Record<string, string> {
  return Object.fromEntries(
    Object.entries(spec.environment).map(([name, ref]) => {
      switch (ref.ref) {
        case 'table':
          return [name, targets.table];
        case 'queueUrl':
          return [name, targets.queueUrl(ref.queue)];
        case 'rawEventsStream':
          return [name, targets.rawEventsStream];
        case 'secretsKey':
          return [name, targets.secretsKey];
        case 'tenantThrottling':
          return [name, targets.tenantThrottling];
        case 'apiBaseUrl':
          return [name, targets.apiBaseUrl];
        case 'tokenSigningKey':
          return [name, targets.tokenSigningKey];
        case 'tokenPublicKeys':
          return [name, targets.tokenPublicKeys];
        case 'literal':
          return [name, ref.value];
        case 'lakeBucket':
          return [name, targets.lakeBucket];
        case 'functionArn':
          if (!(ref.function in functions)) throw new Error(`${spec.id}: no function ${ref.function}`);
          return [name, targets.functionArn(ref.function as FunctionId)];
        case 'importsBucket':
          return [name, targets.importsBucket];
      }
    }),
  );
}

/** The service name every function logs under (Powertools adds the function name itself). */
export const serviceName = 'loyalty-ledger';

/**
 * Variables the platform sets on every function next to its declared environment (deployed and on the twin), the
 * log level from the stage's settings (`stages.ts`).
 */
export function platformEnvironment(stage: string): Record<string, string> {
  return {
    POWERTOOLS_SERVICE_NAME: serviceName,
    POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(stage),
    POWERTOOLS_LOG_LEVEL: stageSettingsFor(stage).logLevel,
    STAGE: stage,
    NODE_OPTIONS: '--enable-source-maps',
  };
}

/** HTTP routes of the API. `auth: 'none'` routes skip the authorizer (documents, health). */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  function: FunctionId;
  /** `apiKey`: through the authorizer (an API key or an OAuth access token). */
  auth: 'apiKey' | 'none';
}

const apiRoute = (method: RouteSpec['method'], path: string): RouteSpec => ({
  method,
  path,
  function: 'api',
  auth: 'apiKey',
});

export const routes: RouteSpec[] = [
  { method: 'GET', path: '/openapi.json', function: 'api', auth: 'none' },
  // OAuth 2.0: the client authenticates in the request itself, and the JWKS is public.
  { method: 'POST', path: '/oauth2/token', function: 'token', auth: 'none' },
  { method: 'GET', path: '/.well-known/jwks.json', function: 'token', auth: 'none' },
  apiRoute('POST', '/v1/oauth-clients'),
  apiRoute('GET', '/v1/oauth-clients'),
  apiRoute('GET', '/v1/oauth-clients/{clientId}'),
  apiRoute('POST', '/v1/oauth-clients/{clientId}/rotate-secret'),
  apiRoute('DELETE', '/v1/oauth-clients/{clientId}'),
  apiRoute('POST', '/admin/tenants/{tenantId}/oauth-clients'),
  apiRoute('POST', '/v1/members'),
  apiRoute('GET', '/v1/members'),
  apiRoute('GET', '/v1/members/{memberId}'),
  apiRoute('PATCH', '/v1/members/{memberId}'),
  apiRoute('POST', '/v1/members/{memberId}/deactivate'),
  apiRoute('POST', '/v1/members/{memberId}/reactivate'),
  apiRoute('POST', '/v1/members/{memberId}/erase'),
  apiRoute('GET', '/v1/members/{memberId}/balance'),
  apiRoute('GET', '/v1/members/{memberId}/entries'),
  apiRoute('POST', '/v1/members/{memberId}/points/earn'),
  apiRoute('POST', '/v1/members/{memberId}/transactions'),
  apiRoute('POST', '/v1/members/{memberId}/transactions/preview'),
  apiRoute('POST', '/v1/members/{memberId}/points/redeem'),
  apiRoute('POST', '/v1/members/{memberId}/points/adjust'),
  apiRoute('POST', '/v1/members/{memberId}/entries/{entryId}/reverse'),
  apiRoute('PUT', '/v1/offers/{offerId}'),
  apiRoute('GET', '/v1/offers'),
  apiRoute('GET', '/v1/members/{memberId}/offers'),
  apiRoute('POST', '/v1/members/{memberId}/offers/{offerId}/view'),
  apiRoute('POST', '/v1/members/{memberId}/offers/{offerId}/activate'),
  apiRoute('PUT', '/v1/rewards/{rewardId}'),
  apiRoute('GET', '/v1/rewards'),
  apiRoute('GET', '/v1/rewards/{rewardId}'),
  apiRoute('POST', '/v1/rewards/{rewardId}/codes'),
  apiRoute('POST', '/v1/rewards/{rewardId}/stock'),
  apiRoute('PUT', '/v1/campaigns/{campaignId}'),
  apiRoute('GET', '/v1/campaigns/{campaignId}'),
  apiRoute('POST', '/v1/campaigns/{campaignId}/funds'),
  apiRoute('POST', '/v1/members/{memberId}/redemptions'),
  apiRoute('GET', '/v1/members/{memberId}/redemptions'),
  apiRoute('GET', '/v1/members/{memberId}/redemptions/{redemptionId}'),
  apiRoute('POST', '/v1/members/{memberId}/redemptions/{redemptionId}/fulfil'),
  apiRoute('POST', '/v1/members/{memberId}/redemptions/{redemptionId}/cancel'),
  apiRoute('GET', '/v1/webhooks/endpoints/{subscriptionId}'),
  apiRoute('PATCH', '/v1/webhooks/endpoints/{subscriptionId}'),
  apiRoute('DELETE', '/v1/webhooks/endpoints/{subscriptionId}'),
  apiRoute('POST', '/v1/webhooks/endpoints/{subscriptionId}/rotate-secret'),
  apiRoute('POST', '/v1/webhooks/endpoints/{subscriptionId}/ping'),
  apiRoute('POST', '/v1/webhooks/endpoints/{subscriptionId}/preview'),
  apiRoute('POST', '/v1/webhooks/preview'),
  apiRoute('GET', '/v1/webhooks/endpoints/{subscriptionId}/messages'),
  apiRoute('GET', '/v1/webhooks/endpoints/{subscriptionId}/messages/{eventId}'),
  apiRoute('POST', '/v1/webhooks/endpoints/{subscriptionId}/messages/{eventId}/replay'),
  apiRoute('POST', '/v1/webhooks/endpoints/{subscriptionId}/replay'),
  apiRoute('GET', '/v1/webhooks/endpoints/{subscriptionId}/attempts'),
  apiRoute('GET', '/v1/webhooks/endpoints/{subscriptionId}/dead-letters'),
  apiRoute('POST', '/v1/webhooks/endpoints/{subscriptionId}/dead-letters/redrive'),
  apiRoute('GET', '/v1/programme'),
  apiRoute('PUT', '/v1/programme'),
  apiRoute('POST', '/v1/webhooks/endpoints'),
  apiRoute('GET', '/v1/webhooks/endpoints'),
  apiRoute('GET', '/v1/audit-events'),
  apiRoute('GET', '/v1/events'),
  apiRoute('GET', '/v1/lake/settings'),
  apiRoute('PUT', '/v1/lake/settings'),
  apiRoute('POST', '/v1/lake/pseudonym-key/reveal'),
  apiRoute('POST', '/v1/api-keys'),
  apiRoute('GET', '/v1/api-keys'),
  apiRoute('GET', '/v1/api-keys/{keyId}'),
  apiRoute('POST', '/v1/api-keys/{keyId}/rotate'),
  apiRoute('POST', '/v1/api-keys/{keyId}/revoke'),
  apiRoute('POST', '/admin/tenants/{tenantId}/api-keys'),
  apiRoute('POST', '/admin/tenants'),
  apiRoute('GET', '/admin/tenants'),
  apiRoute('GET', '/admin/tenants/{tenantId}'),
  apiRoute('PATCH', '/admin/tenants/{tenantId}'),
  apiRoute('POST', '/admin/tenants/{tenantId}/suspend'),
  apiRoute('POST', '/admin/tenants/{tenantId}/reactivate'),
  apiRoute('POST', '/v1/event-consumers'),
  apiRoute('GET', '/v1/event-consumers'),
  apiRoute('GET', '/v1/event-consumers/{consumerId}'),
  apiRoute('PATCH', '/v1/event-consumers/{consumerId}'),
  apiRoute('DELETE', '/v1/event-consumers/{consumerId}'),
  apiRoute('GET', '/v1/event-consumers/{consumerId}/events'),
  apiRoute('POST', '/v1/event-consumers/{consumerId}/commit'),
  apiRoute('POST', '/v1/event-consumers/{consumerId}/seek'),
  apiRoute('POST', '/v1/exports'),
  apiRoute('GET', '/v1/exports'),
  apiRoute('GET', '/v1/exports/{exportId}'),
  apiRoute('PATCH', '/v1/exports/{exportId}'),
  apiRoute('DELETE', '/v1/exports/{exportId}'),
  apiRoute('GET', '/v1/exports/{exportId}/runs'),
  apiRoute('POST', '/v1/exports/{exportId}/run'),
  apiRoute('POST', '/v1/backfills'),
  apiRoute('GET', '/v1/backfills'),
  apiRoute('GET', '/v1/backfills/{backfillId}'),
  apiRoute('POST', '/v1/backfills/{backfillId}/cancel'),
  apiRoute('POST', '/admin/tenants/{tenantId}/backfills'),
  apiRoute('POST', '/admin/maintenance-windows'),
  apiRoute('GET', '/admin/maintenance-windows'),
  apiRoute('GET', '/admin/maintenance-windows/{maintenanceId}'),
  apiRoute('POST', '/admin/maintenance-windows/{maintenanceId}/cancel'),
  apiRoute('GET', '/v1/maintenance-windows'),
  apiRoute('POST', '/v1/webhooks/endpoints/{subscriptionId}/maintenance-windows'),
  apiRoute('GET', '/v1/webhooks/endpoints/{subscriptionId}/maintenance-windows'),
  apiRoute('DELETE', '/v1/webhooks/endpoints/{subscriptionId}/maintenance-windows/{windowId}'),
  apiRoute('POST', '/v1/batches'),
  apiRoute('GET', '/v1/batches/{batchId}'),
  // Imports: a member's history from a previous programme.
  apiRoute('GET', '/v1/members/{memberId}/history'),
  apiRoute('PUT', '/admin/tenants/{tenantId}/inbound-queue'),
  apiRoute('GET', '/admin/tenants/{tenantId}/inbound-queue'),
  apiRoute('DELETE', '/admin/tenants/{tenantId}/inbound-queue'),
  apiRoute('GET', '/v1/inbound-queue'),
  apiRoute('POST', '/v1/imports'),
  apiRoute('GET', '/v1/imports'),
  apiRoute('GET', '/v1/imports/{importId}'),
  apiRoute('POST', '/v1/imports/{importId}/start'),
  apiRoute('POST', '/v1/imports/{importId}/pause'),
  apiRoute('POST', '/v1/imports/{importId}/resume'),
  apiRoute('POST', '/v1/imports/{importId}/cancel'),
];

export const api = {
  authorizerFunction: 'authorizer' as FunctionId,
  /** The header that carries the caller's API key. */
  keyHeader: 'x-api-key',
  /**
   * API Gateway's authorizer result cache: off. With it on, its cache key would be one identity source, but a
   * request carries an API key or a bearer token; and a cached Allow could not be cut short by a key's expiry.
   * With the cache off, identity sources are optional and the authorizer runs for every request.
   */
  gatewayAuthorizerCacheTtlSeconds: 0,
  /**
   * The authorizer function caches each verified credential per container for this long (never past the
   * credential's expiry or a rotation overlap's end): a revoked key, a suspended tenant or a changed scope takes
   * effect within it. 30 s keeps a revocation quick while a busy key costs its container two reads per 30 s.
   */
  credentialCacheTtlSeconds: 30,
  // The stage's own throttle (before the tenants' usage plans) differs by stage: `throttling` in stages.ts.
  /**
   * Per-tenant throttling: API Gateway usage plans, one per distinct (rate, burst), each tenant with its own API
   * key (a usage identifier the authorizer returns, never sent by callers) in the plan of its limits. The quotas
   * are API Gateway's per account and region, shared by every stage and API there: usage plans 300 (adjustable),
   * API keys 10,000 (fixed); `test/infra/aws-limits.test.ts` checks the tenants a stage is sized for fit them.
   */
  tenantThrottling: { usagePlanQuota: 300, apiKeyQuota: 10_000 },
};

/**
 * Whether a route carries the tenant's usage identifier (and so its throttle): the tenant routes under `/v1/`.
 * Public routes and the operators' `/admin/` routes are held by the stage throttle only.
 */
export const usageKeyRequired = (route: RouteSpec): boolean => route.auth === 'apiKey' && route.path.startsWith('/v1/');

/**
 * The KMS keys that sign access tokens (ECC_NIST_P256, SIGN_VERIFY): two slots, one active (CDK context
 * `tokenSigningKeySlot`). Both are in the JWKS, so after a switch the previous key's tokens verify until they
 * expire (docs/runbooks/token-key-rotation.md).
 */
export const tokenSigningKeys = {
  slots: ['A', 'B'] as const,
  defaultActiveSlot: 'A' as const,
};
export type TokenKeySlot = (typeof tokenSigningKeys.slots)[number];

/** From the one Node.js declaration (runtime.ts), which the twin and the pinned Node follow too. */
export const lambdaRuntime = nodeRuntime.lambdaRuntime;
export const lambdaArchitecture = 'arm64';
