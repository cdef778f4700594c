import {
  executionRolePolicies,
  firstDenied,
  isAllowed,
  resolvePolicy,
  type ResolvedStatement,
} from '../../functions/declaration/iam-policy';
import { queues, rawEvents, table } from '../../functions/declaration/topology';
import {
  accessKeyIdOf,
  deliveryStreamArn,
  queueArnOfName,
  requiredPermissions,
  s3Permissions,
  tableArn,
} from '../../local/iam-requests';
import { functionOfAccessKey, localPolicies, roleCredentials } from '../../local/roles';

/**
 * The twin's IAM: which permissions a request needs (as AWS authorizes it) and whether a role's
 * declared policy allows them. Pure functions: no network.
 */
const TABLE = tableArn(table.localName);
const STREAM = `${TABLE}/stream/2026-01-01T00:00:00.000`;
const policies = localPolicies({ tableName: table.localName, tableStreamArn: STREAM });
const deliveryQueueUrl = `http://127.0.0.1:1/000000000000/${queues.webhookDelivery.localName}`;
const dlqUrl = `http://127.0.0.1:1/000000000000/${queues.webhookDeliveryDlq.localName}`;
const dynamo = (operation: string, body: Record<string, unknown>) =>
  requiredPermissions('dynamodb', `DynamoDB_20120810.${operation}`, body);

describe('policy evaluation', () => {
  it('allows what a statement names and denies everything else', () => {
    // Prepare
    const policy: ResolvedStatement[] = [{ actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [TABLE] }];

    // Assess
    expect(isAllowed(policy, 'dynamodb:GetItem', TABLE)).toBe(true);
    expect(isAllowed(policy, 'dynamodb:PutItem', TABLE)).toBe(false);
    expect(isAllowed(policy, 'dynamodb:GetItem', tableArn('another-table'))).toBe(false);
    expect(isAllowed([], 'dynamodb:GetItem', TABLE)).toBe(false);
  });

  it('reaches an index only through the table/index/* wildcard', () => {
    // Prepare
    const tableOnly: ResolvedStatement[] = [{ actions: ['dynamodb:Query'], resources: [TABLE] }];
    const withIndexes: ResolvedStatement[] = [{ actions: ['dynamodb:Query'], resources: [TABLE, `${TABLE}/index/*`] }];

    // Act
    const needed = dynamo('Query', { TableName: table.localName, IndexName: 'members' });

    // Assess
    expect(needed).toEqual([{ action: 'dynamodb:Query', resource: `${TABLE}/index/members` }]);
    expect(firstDenied(tableOnly, needed)).toEqual(needed[0]);
    expect(firstDenied(withIndexes, needed)).toBeUndefined();
    expect(isAllowed(withIndexes, 'dynamodb:Query', `${TABLE}-other/index/members`)).toBe(false);
  });

  it('matches action wildcards and action names without regard to case, resources with it', () => {
    const policy: ResolvedStatement[] = [
      { actions: ['kms:GenerateDataKey*'], resources: ['arn:aws:kms:us-east-1:000000000000:key/k'] },
    ];
    expect(isAllowed(policy, 'kms:GenerateDataKeyWithoutPlaintext', 'arn:aws:kms:us-east-1:000000000000:key/k')).toBe(
      true,
    );
    expect(isAllowed(policy, 'KMS:generatedatakey', 'arn:aws:kms:us-east-1:000000000000:key/k')).toBe(true);
    expect(isAllowed(policy, 'kms:GenerateDataKey', 'arn:aws:kms:us-east-1:000000000000:key/K')).toBe(false);
  });
});

describe('permissions a request needs', () => {
  it('authorizes a transaction by the action of each item, on each item table', () => {
    // Act
    const needed = dynamo('TransactWriteItems', {
      TransactItems: [
        { Put: { TableName: table.localName, Item: {} } },
        { Update: { TableName: table.localName, Key: {} } },
        { ConditionCheck: { TableName: table.localName, Key: {} } },
        { Delete: { TableName: 'archive', Key: {} } },
      ],
    });

    // Assess
    expect(needed).toEqual([
      { action: 'dynamodb:PutItem', resource: TABLE },
      { action: 'dynamodb:UpdateItem', resource: TABLE },
      { action: 'dynamodb:ConditionCheckItem', resource: TABLE },
      { action: 'dynamodb:DeleteItem', resource: tableArn('archive') },
    ]);
    expect(firstDenied(policies.api, needed.slice(0, 3))).toBeUndefined();
    expect(firstDenied(policies.api, needed)).toEqual({ action: 'dynamodb:DeleteItem', resource: tableArn('archive') });
    // Read-only roles may not write in a transaction, and every item counts, not just the first.
    expect(firstDenied(policies.authorizer, needed)).toEqual({ action: 'dynamodb:PutItem', resource: TABLE });
    const withoutConditionCheck: ResolvedStatement[] = [
      { actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [TABLE] },
    ];
    expect(firstDenied(withoutConditionCheck, needed.slice(0, 3))).toEqual({
      action: 'dynamodb:ConditionCheckItem',
      resource: TABLE,
    });
  });

  it('authorizes batches per table and SQS batches as their single actions', () => {
    expect(dynamo('BatchGetItem', { RequestItems: { [table.localName]: {}, other: {} } })).toEqual([
      { action: 'dynamodb:BatchGetItem', resource: TABLE },
      { action: 'dynamodb:BatchGetItem', resource: tableArn('other') },
    ]);
    expect(
      requiredPermissions('sqs', 'AmazonSQS.SendMessageBatch', { QueueUrl: deliveryQueueUrl, Entries: [] }),
    ).toEqual([{ action: 'sqs:SendMessage', resource: queueArnOfName(queues.webhookDelivery.localName) }]);
    expect(
      requiredPermissions('sqs', 'AmazonSQS.ChangeMessageVisibilityBatch', { QueueUrl: deliveryQueueUrl })[0]!.action,
    ).toBe('sqs:ChangeMessageVisibility');
    expect(
      requiredPermissions('firehose', 'Firehose_20150804.PutRecordBatch', { DeliveryStreamName: rawEvents.localName }),
    ).toEqual([{ action: 'firehose:PutRecordBatch', resource: deliveryStreamArn(rawEvents.localName) }]);
  });

  it('reads the stream a GetRecords call reads from its shard iterator', () => {
    const needed = dynamo('GetRecords', { ShardIterator: `000|${STREAM}|abc` });
    expect(needed).toEqual([{ action: 'dynamodb:GetRecords', resource: STREAM }]);
    expect(firstDenied(policies.lakeRouter, needed)).toBeUndefined();
    expect(firstDenied(policies.api, needed)).toEqual(needed[0]);
  });
});

describe('the declared roles on the twin', () => {
  const send = (url: string) => requiredPermissions('sqs', 'AmazonSQS.SendMessageBatch', { QueueUrl: url });

  it('lets each function do what its spec declares, and no more', () => {
    expect(firstDenied(policies.webhookRouter, send(deliveryQueueUrl))).toBeUndefined();
    expect(firstDenied(policies.webhookRouter, send(dlqUrl))).toBeDefined();
    expect(firstDenied(policies.lakeRouter, send(deliveryQueueUrl))).toBeDefined();
    // The lake router reads each tenant's lake settings and writes nothing to the table.
    expect(firstDenied(policies.lakeRouter, dynamo('GetItem', { TableName: table.localName }))).toBeUndefined();
    expect(firstDenied(policies.lakeRouter, dynamo('PutItem', { TableName: table.localName }))).toBeDefined();
    expect(
      firstDenied(
        policies.api,
        requiredPermissions('firehose', 'Firehose_20150804.PutRecord', { DeliveryStreamName: rawEvents.localName }),
      ),
    ).toBeDefined();
    expect(
      firstDenied(policies.authorizer, dynamo('Query', { TableName: table.localName, IndexName: 'members' })),
    ).toBeUndefined();
    // No role may scan the table: the adapters never do.
    for (const policy of Object.values(policies))
      expect(firstDenied(policy, dynamo('Scan', { TableName: table.localName }))).toBeDefined();
  });

  it('lets only the exports function put objects, and only under exports/ in the lake bucket', () => {
    // Prepare
    const bucket = rawEvents.localBucketName;
    const put = (key: string) => s3Permissions('PUT', `/${bucket}/${key}`);
    const exportFile = 'exports/tenant=t1/export=exp_1/window=20261202T2005Z/part-00000.ndjson.gz';
    // Act & Assess
    expect(put(exportFile)).toEqual([{ action: 's3:PutObject', resource: `arn:aws:s3:::${bucket}/${exportFile}` }]);
    expect(firstDenied(policies.exports, put(exportFile))).toBeUndefined();
    expect(firstDenied(policies.exports, put('events/tenant=t1/date=2026-12-02/hour=20/x.ndjson.gz'))).toBeDefined();
    expect(firstDenied(policies.exports, s3Permissions('GET', `/${bucket}/${exportFile}`))).toBeDefined();
    expect(firstDenied(policies.exports, s3Permissions('GET', `/${bucket}?list-type=2`))).toBeDefined();
    expect(firstDenied(policies.api, put(exportFile))).toBeDefined();
    expect(firstDenied(policies.lakeRouter, put(exportFile))).toBeDefined();
  });

  it('lets the SQS-triggered function change visibility and delete on its own queue only', () => {
    const consume = (operation: string, url: string) =>
      requiredPermissions('sqs', `AmazonSQS.${operation}`, { QueueUrl: url });
    for (const operation of ['ReceiveMessage', 'DeleteMessageBatch', 'ChangeMessageVisibilityBatch']) {
      expect(firstDenied(policies.webhookDelivery, consume(operation, deliveryQueueUrl))).toBeUndefined();
      expect(firstDenied(policies.webhookDelivery, consume(operation, dlqUrl))).toBeDefined();
    }
  });

  it('knows the caller by the access key id of its role', () => {
    const { accessKeyId } = roleCredentials('lakeRouter');
    const authorization =
      `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/us-east-1/sqs/aws4_request, ` +
      `SignedHeaders=host, Signature=x`;
    expect(functionOfAccessKey(accessKeyIdOf(authorization))).toBe('lakeRouter');
    expect(
      functionOfAccessKey(accessKeyIdOf('AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/sqs/aws4_request')),
    ).toBeUndefined();
  });

  it('resolves the same declaration the stack grants', () => {
    const resolved = resolvePolicy(executionRolePolicies.lakeRouter, {
      tableArn: 'T',
      tableStreamArn: 'S',
      tableKeyArn: 'K',
      queueKeyArn: 'QK',
      secretsKeyArn: 'SK',
      apiGatewayArn: 'AG',
      queueArn: (q) => `Q:${q}`,
      rawEventsStreamArn: 'F',
      logGroupArn: 'L',
      tokenKeyArn: (slot) => `TK:${slot}`,
      activeTokenKeyArn: 'TK:A',
      lakeBucketArn: 'B',
      lakeKeyArn: 'LK',
      inboundQueueArns: 'IQ',
      eventSourceMappingArns: 'ESM',
      functionArn: (id) => `FN:${id}`,
      importsBucketArn: 'IB',
      importsKeyArn: 'IK',
    });
    // Resource * twice: dynamodb:ListStreams and the X-Ray writes support no resource-level permissions.
    expect(resolved.flatMap((s) => s.resources).sort()).toEqual([
      '*',
      '*',
      'F',
      'K',
      'L',
      'Q:streamFailures',
      'QK',
      'S',
      'SK',
      'T',
      'T/index/*',
    ]);
  });
});
