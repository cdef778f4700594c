/**
 * The identity-based policy of every function's execution role, derived from its spec in
 * `functions/declaration/topology.ts` (its `access` and its trigger). The CDK construct grants exactly these
 * statements, the local twin checks every AWS call a function makes against them, and
 * `test/infra/iam-drift.test.ts` proves the synthesized roles say the same.
 *
 * Plain data only (no CDK imports), like the topology, so the twin can load it.
 */
import { EXPORTS_ROOT } from './lake-access';
import {
  functions,
  importsBucket,
  table,
  tokenSigningKeys,
  type FunctionId,
  type FunctionSpec,
  type QueueId,
  type TokenKeySlot,
} from './topology';

/** What a statement applies to, named by role in the topology; each deployment resolves it to ARNs. */
export type PolicyResource =
  | { kind: 'table' }
  /** Every index of the table (`<table arn>/index/*`): queries may use any of them. */
  | { kind: 'tableIndexes' }
  | { kind: 'tableStream' }
  /** The customer-managed key that encrypts the table (and its stream). */
  | { kind: 'tableKey' }
  /** The customer-managed key that encrypts every queue. */
  | { kind: 'queueKey' }
  | { kind: 'queue'; queue: QueueId }
  /** The customer-managed key that seals webhook signing secrets (envelope encryption). */
  | { kind: 'secretsKey' }
  /** API Gateway's usage plans (and their keys) of the region: `/usageplans`, `/usageplans/<id>/keys/<key id>`. */
  | { kind: 'usagePlans' }
  /** API Gateway's API keys of the region: `/apikeys`, `/apikeys/<id>`. */
  | { kind: 'apiKeys' }
  | { kind: 'rawEventsStream' }
  /** The access-token signing key that is active now. */
  | { kind: 'activeTokenKey' }
  /** One slot of the access-token signing keys. */
  | { kind: 'tokenKey'; slot: TokenKeySlot }
  /** The function's own log group. */
  | { kind: 'logGroup' }
  /** Objects under `exports/` in the lake bucket (`<bucket arn>/exports/*`). */
  | { kind: 'lakeExports' }
  /** The customer-managed key that encrypts the lake bucket. */
  | { kind: 'lakeKey' }
  /** Tenants' inbound queues and their DLQs, made at run time: `<stage prefix>-inbound-*`. */
  | { kind: 'inboundQueues' }
  /** Lambda event-source mappings of the account and region (`…:event-source-mapping:*`): their ids are UUIDs. */
  | { kind: 'eventSourceMappings' }
  /** Objects under `imports/` in the imports bucket (`<bucket arn>/imports/*`). */
  | { kind: 'importObjects' }
  /** The imports bucket itself (HeadObject answers 404, not 403, for a missing key only with ListBucket). */
  | { kind: 'importsBucket' }
  /** The customer-managed key that encrypts the imports bucket. */
  | { kind: 'importsKey' }
  /** Actions that support no resource-level permissions (e.g. `dynamodb:ListStreams`). */
  | { kind: 'any' };

/** IAM condition operators and their keys' values, as in a policy document (`{ Null: { key: 'false' } }`). */
export type PolicyConditions = Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;

export interface PolicyStatement {
  /** Why the role needs it; also the statement's id in the declaration. */
  purpose: string;
  actions: readonly string[];
  resources: readonly PolicyResource[];
  /** Narrows the grant further (deployed; the twin's stand-ins are never asked with a condition key). */
  conditions?: PolicyConditions;
  /** Only for this function (`lambda:FunctionArn`, the function or any of its versions and aliases). */
  forFunction?: FunctionId;
}

/** A statement with its resources resolved to ARNs (or CDK tokens) of one deployment. */
export interface ResolvedStatement {
  actions: readonly string[];
  resources: readonly string[];
  conditions?: PolicyConditions;
}

/** Table actions per access level: what the adapters call, nothing more (no Scan, no table admin). */
const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
export const TABLE_ACTIONS = {
  read: TABLE_READ_ACTIONS,
  readUpdate: [...TABLE_READ_ACTIONS, 'dynamodb:UpdateItem'],
  readWrite: [
    ...TABLE_READ_ACTIONS,
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:ConditionCheckItem',
  ],
} as const;

/** KMS actions on the table key: DynamoDB decrypts for reads and generates data keys for writes. */
export const TABLE_KEY_ACTIONS = {
  read: ['kms:Decrypt'],
  readUpdate: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
  readWrite: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
} as const;

/**
 * KMS actions on the queue key. SQS encrypts with a data key it asks for on the sender's behalf, so a sender
 * needs GenerateDataKey and Decrypt; a receiver only Decrypt. Nothing wider: no Encrypt, no ReEncrypt, no wildcards.
 */
export const QUEUE_KEY_ACTIONS = {
  send: ['kms:GenerateDataKey', 'kms:Decrypt'],
  consume: ['kms:Decrypt'],
} as const;

/**
 * KMS actions on the secrets key: sealing asks for a data key (and opening decrypts it); opening alone only
 * decrypts. Never Encrypt or ReEncrypt: the secrets themselves are encrypted with the data key, not by KMS.
 */
export const SECRETS_KEY_ACTIONS = {
  seal: ['kms:GenerateDataKey', 'kms:Decrypt'],
  open: ['kms:Decrypt'],
} as const;

/**
 * Every use of the secrets key names the endpoint it is for: an encryption context of exactly a tenant and an
 * endpoint (`Null` refuses a call without context, which `ForAllValues` alone would let through).
 */
export const SECRETS_KEY_CONDITIONS: PolicyConditions = {
  'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenantId', 'subscriptionId'] },
  Null: { 'kms:EncryptionContext:tenantId': 'false', 'kms:EncryptionContext:subscriptionId': 'false' },
};

/**
 * Tenants' pseudonymisation keys are sealed with the same master key under a context of exactly a tenant and the
 * purpose `pseudonyms`, so a role allowed these cannot open a webhook secret, nor the other way round.
 */
export const PSEUDONYM_KEY_CONDITIONS: PolicyConditions = {
  'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenantId', 'purpose'] },
  StringEquals: { 'kms:EncryptionContext:purpose': 'pseudonyms' },
  Null: { 'kms:EncryptionContext:tenantId': 'false' },
};

/**
 * What keeping tenants in usage plans takes: list and read plans and keys (GET), create them and add a key to a
 * plan (POST), take a key out of a plan (DELETE). No PATCH: a plan's limits never change, tenants move between
 * plans. IAM cannot tell taking a key out of a plan from deleting a plan or key (both are DELETE on these paths).
 */
export const TENANT_THROTTLING_ACTIONS = ['apigateway:GET', 'apigateway:POST', 'apigateway:DELETE'];

/** What sending to a queue takes (SendMessageBatch is authorized as sqs:SendMessage). */
export const QUEUE_SEND_ACTIONS = ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'];

/** What the SQS event-source mapping (and the function's own visibility changes) take on its queue. */
export const QUEUE_CONSUME_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueUrl',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
];

/** What the DynamoDB stream event-source mapping takes to read the table's stream. */
export const STREAM_READ_ACTIONS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'];
export const STREAM_LIST_ACTIONS = ['dynamodb:ListStreams'];

export const FIREHOSE_PUT_ACTIONS = ['firehose:PutRecord', 'firehose:PutRecordBatch'];
/** What the admin API does to tenants' inbound queues (CreateQueue with tags needs TagQueue too). */
export const INBOUND_QUEUE_MANAGE_ACTIONS = [
  'sqs:CreateQueue',
  'sqs:SetQueueAttributes',
  'sqs:GetQueueAttributes',
  'sqs:TagQueue',
  'sqs:DeleteQueue',
];
/** What the inbound worker's mappings take on tenants' queues (Lambda checks it when a mapping is created). */
export const INBOUND_QUEUE_CONSUME_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:ChangeMessageVisibility',
];
/** Event-source mapping actions that support no resource-level permissions (resource must be *). */
export const MAPPING_UNSCOPED_ACTIONS = ['lambda:CreateEventSourceMapping', 'lambda:ListEventSourceMappings'];

/** Signing access tokens: KMS `Sign` with the asymmetric key (the private key never leaves KMS). */
export const TOKEN_SIGN_ACTIONS = ['kms:Sign'];
/** Publishing and verifying with the access-token keys' public halves. */
export const TOKEN_PUBLIC_KEY_ACTIONS = ['kms:GetPublicKey'];
export const LOG_WRITE_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/**
 * Sending trace segments to X-Ray (every function runs with active tracing). These actions support no
 * resource-level permissions: the resource is `*`.
 */
export const TRACE_WRITE_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
/** Writing export files: a put each (single-part uploads; no reads, lists or deletes). */
export const LAKE_EXPORT_ACTIONS = ['s3:PutObject'];
/** S3 asks KMS for a data key on the writer's behalf when it encrypts a new object with the lake key. */
export const LAKE_KEY_ACTIONS = ['kms:GenerateDataKey'];

/**
 * Import files: read an input (HeadObject, ranged GETs), put report parts and reports, and sign the upload and
 * report URLs (a presigned URL can do what its signer may, on its one key). No deletes: the lifecycle expires them.
 */
export const IMPORT_OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject'];
/** Only so that a missing input answers 404 (`import_not_uploaded`) rather than 403. */
export const IMPORT_BUCKET_ACTIONS = ['s3:ListBucket'];
/** S3 asks KMS on the caller's behalf: a data key to write an object (the upload included), a decrypt to read one. */
export const IMPORT_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

const hasIndexes = table.globalSecondaryIndexes.length + table.localSecondaryIndexes.length > 0;

/**
 * The statements one function's execution role must have, and no more.
 * @example executionRolePolicy(functions.lakeRouter) // logs, X-Ray, firehose:PutRecord*, the stream reads,
 *   streamFailures, the queue key
 */
export function executionRolePolicy(spec: FunctionSpec): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    { purpose: 'write its own logs', actions: LOG_WRITE_ACTIONS, resources: [{ kind: 'logGroup' }] },
    {
      purpose: 'send trace segments to X-Ray (no resource-level permissions)',
      actions: TRACE_WRITE_ACTIONS,
      resources: [{ kind: 'any' }],
    },
  ];
  const { access, trigger } = spec;
  if (access.table) {
    statements.push({
      purpose: `${access.table} the table and its indexes`,
      actions: TABLE_ACTIONS[access.table],
      resources: hasIndexes ? [{ kind: 'table' }, { kind: 'tableIndexes' }] : [{ kind: 'table' }],
    });
  }
  // Reading the stream decrypts its records too, so a stream consumer needs the key even without table access.
  const keyLevel = access.table ?? (trigger?.kind === 'dynamodb-stream' ? 'read' : undefined);
  if (keyLevel)
    statements.push({
      purpose: 'use the table key',
      actions: TABLE_KEY_ACTIONS[keyLevel],
      resources: [{ kind: 'tableKey' }],
    });
  for (const queue of access.sendTo ?? []) {
    statements.push({
      purpose: `send to ${queue}`,
      actions: QUEUE_SEND_ACTIONS,
      resources: [{ kind: 'queue', queue }],
    });
  }
  if (access.rawEvents) {
    statements.push({
      purpose: 'put raw events',
      actions: FIREHOSE_PUT_ACTIONS,
      resources: [{ kind: 'rawEventsStream' }],
    });
  }
  if (access.webhookSecrets) {
    statements.push({
      purpose: `${access.webhookSecrets} webhook signing secrets`,
      actions: SECRETS_KEY_ACTIONS[access.webhookSecrets],
      resources: [{ kind: 'secretsKey' }],
      conditions: SECRETS_KEY_CONDITIONS,
    });
  }
  if (access.pseudonymKeys) {
    statements.push({
      purpose: `${access.pseudonymKeys} tenants' pseudonymisation keys`,
      actions: SECRETS_KEY_ACTIONS[access.pseudonymKeys],
      resources: [{ kind: 'secretsKey' }],
      conditions: PSEUDONYM_KEY_CONDITIONS,
    });
  }
  if (access.tenantThrottling) {
    statements.push({
      purpose: 'keep tenants in the usage plans of their limits',
      actions: TENANT_THROTTLING_ACTIONS,
      resources: [{ kind: 'usagePlans' }, { kind: 'apiKeys' }],
    });
  }
  if (access.tokenKeys) {
    // The signer names its key in each token's `kid` (the public key's thumbprint) and publishes the JWKS.
    if (access.tokenKeys === 'sign')
      statements.push({
        purpose: 'sign access tokens with the active key',
        actions: TOKEN_SIGN_ACTIONS,
        resources: [{ kind: 'activeTokenKey' }],
      });
    statements.push({
      purpose: 'read the public keys of the access-token keys',
      actions: TOKEN_PUBLIC_KEY_ACTIONS,
      resources: tokenSigningKeys.slots.map((slot) => ({ kind: 'tokenKey' as const, slot })),
    });
  }
  if (access.lakeExports) {
    statements.push(
      { purpose: 'put export files in the lake', actions: LAKE_EXPORT_ACTIONS, resources: [{ kind: 'lakeExports' }] },
      {
        purpose: 'encrypt export files with the lake key',
        actions: LAKE_KEY_ACTIONS,
        resources: [{ kind: 'lakeKey' }],
      },
    );
  }
  if (access.inboundQueues === 'manage') {
    statements.push(
      {
        purpose: "create and remove tenants' inbound queues",
        actions: INBOUND_QUEUE_MANAGE_ACTIONS,
        resources: [{ kind: 'inboundQueues' }],
      },
      {
        purpose: 'map inbound queues to the inbound worker (no resource-level permissions; only that function)',
        actions: ['lambda:CreateEventSourceMapping'],
        resources: [{ kind: 'any' }],
        forFunction: 'inboundWorker',
      },
      {
        purpose: "remove the inbound worker's mappings",
        actions: ['lambda:DeleteEventSourceMapping'],
        resources: [{ kind: 'eventSourceMappings' }],
        forFunction: 'inboundWorker',
      },
      {
        purpose: 'read event-source mappings',
        actions: ['lambda:GetEventSourceMapping'],
        resources: [{ kind: 'eventSourceMappings' }],
      },
      {
        purpose: 'find an inbound queue’s mapping (no resource-level permissions)',
        actions: ['lambda:ListEventSourceMappings'],
        resources: [{ kind: 'any' }],
      },
    );
  }
  if (access.inboundQueues === 'consume') {
    statements.push({
      purpose: "consume tenants' inbound queues",
      actions: INBOUND_QUEUE_CONSUME_ACTIONS,
      resources: [{ kind: 'inboundQueues' }],
    });
  }
  if (access.imports) {
    statements.push(
      {
        purpose: 'read and write import files',
        actions: IMPORT_OBJECT_ACTIONS,
        resources: [{ kind: 'importObjects' }],
      },
      { purpose: 'tell a missing import file', actions: IMPORT_BUCKET_ACTIONS, resources: [{ kind: 'importsBucket' }] },
      { purpose: 'use the imports key', actions: IMPORT_KEY_ACTIONS, resources: [{ kind: 'importsKey' }] },
    );
  }
  if (trigger?.kind === 'dynamodb-stream') {
    statements.push(
      {
        purpose: 'find the table stream (no resource-level permissions)',
        actions: STREAM_LIST_ACTIONS,
        resources: [{ kind: 'any' }],
      },
      { purpose: 'read the table stream', actions: STREAM_READ_ACTIONS, resources: [{ kind: 'tableStream' }] },
      // The mapping sends failed batches' metadata to the on-failure destination with the function's role.
      {
        purpose: `send failed batches to ${trigger.onFailure}`,
        actions: QUEUE_SEND_ACTIONS,
        resources: [{ kind: 'queue', queue: trigger.onFailure }],
      },
    );
  }
  if (trigger?.kind === 'schedule') {
    // Lambda sends a failed asynchronous run's record to its on-failure destination with the function's role.
    const queue = trigger.asyncInvoke.onFailure;
    statements.push({
      purpose: `send failed runs to ${queue}`,
      actions: QUEUE_SEND_ACTIONS,
      resources: [{ kind: 'queue', queue }],
    });
  }
  if (trigger?.kind === 'sqs') {
    statements.push({
      purpose: `consume ${trigger.queue}`,
      actions: QUEUE_CONSUME_ACTIONS,
      resources: [{ kind: 'queue', queue: trigger.queue }],
    });
  }
  // Every queue is encrypted with the queue key: whoever sends (the on-failure destinations included) or
  // receives needs it, or SQS refuses the call with KMS.AccessDeniedException.
  const queueKeyLevel = queueKeyLevelOf(statements);
  if (queueKeyLevel) {
    statements.push({
      purpose: 'use the queue key',
      actions: QUEUE_KEY_ACTIONS[queueKeyLevel],
      resources: [{ kind: 'queueKey' }],
    });
  }
  return statements;
}

/** What the queue key must allow a role whose queue statements are these: send, only consume, or nothing. */
function queueKeyLevelOf(statements: readonly PolicyStatement[]): keyof typeof QUEUE_KEY_ACTIONS | undefined {
  const grants = (action: string) => statements.some((statement) => statement.actions.includes(action));
  if (grants('sqs:SendMessage')) return 'send';
  if (grants('sqs:ReceiveMessage')) return 'consume';
  return undefined;
}

/** Every function's execution-role policy, by function id. */
export const executionRolePolicies = Object.fromEntries(
  (Object.entries(functions) as [FunctionId, FunctionSpec][]).map(([id, spec]) => [id, executionRolePolicy(spec)]),
) as Record<FunctionId, PolicyStatement[]>;

/** Where a PolicyResource points in one deployment (ARNs on the twin, tokens in the CDK stack). */
export interface PolicyTargets {
  tableArn: string;
  tableStreamArn: string;
  tableKeyArn: string;
  queueKeyArn: string;
  secretsKeyArn: string;
  /** API Gateway's resources of the region, without a path: `arn:aws:apigateway:<region>::`. */
  apiGatewayArn: string;
  queueArn(queue: QueueId): string;
  rawEventsStreamArn: string;
  logGroupArn: string;
  tokenKeyArn(slot: TokenKeySlot): string;
  activeTokenKeyArn: string;
  lakeBucketArn: string;
  lakeKeyArn: string;
  /** `arn:…:sqs:<region>:<account>:<stage prefix>-inbound-*`. */
  inboundQueueArns: string;
  /** `arn:…:lambda:<region>:<account>:event-source-mapping:*`. */
  eventSourceMappingArns: string;
  /** A function's unqualified ARN. */
  functionArn(id: FunctionId): string;
  importsBucketArn: string;
  importsKeyArn: string;
}

export function resolveResource(resource: PolicyResource, targets: PolicyTargets): string {
  switch (resource.kind) {
    case 'table':
      return targets.tableArn;
    case 'tableIndexes':
      return `${targets.tableArn}/index/*`;
    case 'tableStream':
      return targets.tableStreamArn;
    case 'tableKey':
      return targets.tableKeyArn;
    case 'queueKey':
      return targets.queueKeyArn;
    case 'queue':
      return targets.queueArn(resource.queue);
    case 'secretsKey':
      return targets.secretsKeyArn;
    case 'usagePlans':
      return `${targets.apiGatewayArn}/usageplans*`;
    case 'apiKeys':
      return `${targets.apiGatewayArn}/apikeys*`;
    case 'rawEventsStream':
      return targets.rawEventsStreamArn;
    case 'logGroup':
      return targets.logGroupArn;
    case 'tokenKey':
      return targets.tokenKeyArn(resource.slot);
    case 'activeTokenKey':
      return targets.activeTokenKeyArn;
    case 'lakeExports':
      return `${targets.lakeBucketArn}/${EXPORTS_ROOT}*`;
    case 'lakeKey':
      return targets.lakeKeyArn;
    case 'inboundQueues':
      return targets.inboundQueueArns;
    case 'eventSourceMappings':
      return targets.eventSourceMappingArns;
    case 'importObjects':
      return `${targets.importsBucketArn}/${importsBucket.prefix}*`;
    case 'importsBucket':
      return targets.importsBucketArn;
    case 'importsKey':
      return targets.importsKeyArn;
    case 'any':
      return '*';
  }
}

export function resolvePolicy(statements: readonly PolicyStatement[], targets: PolicyTargets): ResolvedStatement[] {
  return statements.map((statement) => {
    const conditions = statement.forFunction
      ? {
          ...statement.conditions,
          StringLike: {
            'lambda:FunctionArn': [
              targets.functionArn(statement.forFunction),
              `${targets.functionArn(statement.forFunction)}:*`,
            ],
          },
        }
      : statement.conditions;
    return {
      actions: statement.actions,
      resources: statement.resources.map((resource) => resolveResource(resource, targets)),
      ...(conditions ? { conditions } : {}),
    };
  });
}

/** IAM's wildcard match: `*` any run of characters, `?` one; actions compare case-insensitively. */
function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/** A request's condition keys and their values (`{ 's3:prefix': 'events/' }`); a key left out is absent. */
export type RequestContext = Readonly<Record<string, string>>;

/** The condition operators `conditionsHold` models; any other makes it throw rather than guess. */
const CONDITION_OPERATORS: Record<string, (expected: readonly string[], actual: string | undefined) => boolean> = {
  StringEquals: (expected, actual) => actual !== undefined && expected.includes(actual),
  StringLike: (expected, actual) =>
    actual !== undefined && expected.some((pattern) => wildcardMatch(pattern, actual, false)),
  Null: ([expected], actual) => (expected === 'true') === (actual === undefined),
};

/** Whether a statement's conditions all hold for a request (keys compare ignoring case, values exactly). */
function conditionsHold(conditions: PolicyConditions, context: RequestContext): boolean {
  const valueOf = (key: string) =>
    Object.entries(context).find(([name]) => name.toLowerCase() === key.toLowerCase())?.[1];
  return Object.entries(conditions).every(([operator, keys]) => {
    const test = CONDITION_OPERATORS[operator];
    if (!test) throw new Error(`Condition operator ${operator} is not modelled`);
    return Object.entries(keys).every(([key, expected]) => test([expected].flat(), valueOf(key)));
  });
}

/**
 * Whether an identity-based policy of Allow statements permits `action` on `resource` (an ARN,
 * or `*` for actions without resource-level permissions). No statement allowing it means denied,
 * as in IAM's evaluation for a role with no deny statements and no boundary. Conditions are
 * evaluated against `context` when one is given (the twin's stand-ins are asked without any).
 * @example isAllowed(policy, 'dynamodb:Query', 'arn:aws:dynamodb:us-east-1:000000000000:table/t/index/members')
 * @example isAllowed(policy, 's3:ListBucket', 'arn:aws:s3:::lake', { 's3:prefix': 'events/tenant=acme/' })
 */
export function isAllowed(
  policy: readonly ResolvedStatement[],
  action: string,
  resource: string,
  context?: RequestContext,
): boolean {
  return policy.some(
    (statement) =>
      statement.actions.some((pattern) => wildcardMatch(pattern, action, true)) &&
      statement.resources.some((pattern) => wildcardMatch(pattern, resource, false)) &&
      (!context || !statement.conditions || conditionsHold(statement.conditions, context)),
  );
}

/** A permission one request needs: every one of a request's permissions must be allowed. */
export interface Permission {
  action: string;
  resource: string;
}

/** The first permission of a request that the policy does not allow, or undefined when all are allowed. */
export function firstDenied(
  policy: readonly ResolvedStatement[],
  needed: readonly Permission[],
): Permission | undefined {
  return needed.find((permission) => !isAllowed(policy, permission.action, permission.resource));
}
