import type { Permission } from '../functions/declaration/iam-policy';
import { ACCOUNT_ID, REGION } from './aws-local';

/**
 * What IAM authorizes one AWS JSON-protocol request against: the action(s) and resource ARN(s)
 * read from its `X-Amz-Target` and body, as the services document them. A request may need
 * several: a transaction needs the per-item action on each table, a batch one per table.
 */
export type AuthorizedService = 'dynamodb' | 'sqs' | 'firehose' | 's3';

export const tableArn = (name: string) =>
  name.startsWith('arn:') ? name : `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/${name}`;
export const queueArnOfName = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${name}`;
export const deliveryStreamArn = (name: string) => `arn:aws:firehose:${REGION}:${ACCOUNT_ID}:deliverystream/${name}`;

/** A queue URL names its queue in the last path segment (`…/<account>/<name>`). */
export const queueArnOfUrl = (url: string) =>
  queueArnOfName(new URL(url).pathname.split('/').filter(Boolean).at(-1) ?? '');

type Body = Record<string, unknown>;

/** Transaction items: the IAM action each one is authorized as (there is no TransactWriteItems action). */
const TRANSACT_ITEM_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

/** A request field as text, or undefined when absent or empty (the SDK clients send these as strings). */
function field(body: Body, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function dynamoPermissions(operation: string, body: Body): Permission[] {
  const action = `dynamodb:${operation}`;
  switch (operation) {
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return ((body.TransactItems ?? []) as Body[]).flatMap((item) =>
        Object.entries(item).map(([kind, request]) => ({
          action: TRANSACT_ITEM_ACTIONS[kind] ?? `dynamodb:${kind}`,
          resource: tableArn(String((request as Body).TableName)),
        })),
      );
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys(body.RequestItems ?? {}).map((name) => ({ action, resource: tableArn(name) }));
    case 'Query':
    case 'Scan': {
      const table = tableArn(String(body.TableName));
      const indexName = field(body, 'IndexName');
      return [{ action, resource: indexName ? `${table}/index/${indexName}` : table }];
    }
    case 'ListTables':
    case 'ListStreams':
      return [{ action, resource: '*' }];
    case 'DescribeStream':
    case 'GetShardIterator':
      return [{ action, resource: String(body.StreamArn) }];
    case 'GetRecords':
      return [{ action, resource: streamArnOfIterator(String(body.ShardIterator)) }];
    default: {
      const tableName = field(body, 'TableName');
      return [{ action, resource: tableName ? tableArn(tableName) : '*' }];
    }
  }
}

/** DynamoDB Local's shard iterators carry their stream ARN (AWS authorizes GetRecords on that stream). */
function streamArnOfIterator(iterator: string): string {
  return /arn:aws:dynamodb:[^|\s]*?\/stream\/[^|\s/]+/.exec(iterator)?.[0] ?? '*';
}

/** Batch operations are authorized as their single forms (SendMessageBatch needs sqs:SendMessage). */
const SQS_BATCH_ACTIONS: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

function sqsPermissions(operation: string, body: Body): Permission[] {
  const action = `sqs:${SQS_BATCH_ACTIONS[operation] ?? operation}`;
  const queueUrl = field(body, 'QueueUrl');
  const queueName = field(body, 'QueueName');
  const sourceArn = field(body, 'SourceArn');
  if (queueUrl) return [{ action, resource: queueArnOfUrl(queueUrl) }];
  if (queueName) return [{ action, resource: queueArnOfName(queueName) }];
  if (operation === 'StartMessageMoveTask' && sourceArn) return [{ action, resource: sourceArn }];
  return [{ action, resource: '*' }];
}

function firehosePermissions(operation: string, body: Body): Permission[] {
  const action = `firehose:${operation}`;
  const streamName = field(body, 'DeliveryStreamName');
  return [{ action, resource: streamName ? deliveryStreamArn(streamName) : '*' }];
}

/**
 * The permissions a request needs. `target` is the `X-Amz-Target` header (`DynamoDB_20120810.PutItem`,
 * `AmazonSQS.SendMessageBatch`, `Firehose_20150804.PutRecordBatch`); `body` its parsed JSON.
 * @example requiredPermissions('sqs', 'AmazonSQS.SendMessageBatch', { QueueUrl }) // [{ action: 'sqs:SendMessage', … }]
 */
export function requiredPermissions(service: AuthorizedService, target: string, body: Body): Permission[] {
  const operation = target.slice(target.lastIndexOf('.') + 1);
  if (service === 'dynamodb') return dynamoPermissions(operation, body);
  if (service === 'sqs') return sqsPermissions(operation, body);
  return firehosePermissions(operation, body);
}

/**
 * What IAM authorizes an S3 REST request (path style, `/<bucket>/<key>`) against: objects by method, the bucket
 * for a listing. Enough for what functions call (PutObject, GetObject, ListObjectsV2, DeleteObject).
 * @example s3Permissions('PUT', '/lake/exports/a.gz')
 * // [{ action: 's3:PutObject', resource: 'arn:aws:s3:::lake/exports/a.gz' }]
 */
export function s3Permissions(method: string, url: string): Permission[] {
  const { pathname } = new URL(url, 'http://s3.local');
  const [bucket = '', ...rest] = pathname.split('/').filter(Boolean);
  const key = rest.map(decodeURIComponent).join('/');
  if (!key)
    return [{ action: method === 'GET' ? 's3:ListBucket' : `s3:${method}Bucket`, resource: `arn:aws:s3:::${bucket}` }];
  const actions: Record<string, string> = {
    PUT: 's3:PutObject',
    GET: 's3:GetObject',
    HEAD: 's3:GetObject',
    DELETE: 's3:DeleteObject',
    POST: 's3:PutObject',
  };
  return [{ action: actions[method] ?? `s3:${method}Object`, resource: `arn:aws:s3:::${bucket}/${key}` }];
}

/** The access key id of a SigV4-signed request (`Authorization: AWS4-HMAC-SHA256 Credential=<id>/<date>/…`). */
export function accessKeyIdOf(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}
