import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { dashboard } from '../../functions/declaration/dashboard';
import { GATEWAY_RESPONSE_TYPES, gatewayProblem } from '../../functions/declaration/gateway-problems';
import { platformMetrics } from '../../functions/declaration/metrics';
import { stageSettingsFor } from '../../functions/declaration/stages';
import {
  functions as functionSpecs,
  queues as queueSpecs,
  rawEvents,
  type FunctionId,
  type FunctionSpec,
  type QueueId,
} from '../../functions/declaration/topology';
import { logicalId, platformLambdaFunctions, removeAssembly, synthesize, type Synthesized } from './synth';

/**
 * The properties that matter for safety and operations, asserted one by one (no template snapshots). The stage
 * synthesized here has the dev settings; stages.test.ts checks what prod keeps that dev removes.
 */
const settings = stageSettingsFor('test');
/** The DeletionPolicy of data stores in this stage. */
const kept = settings.removalPolicy === 'retain' ? 'Retain' : 'Delete';

let synth: Synthesized;
const ofType = (type: string) => Object.entries(synth.resources).filter(([, resource]) => resource.Type === type);
const streamConsumers = (Object.entries(functionSpecs) as [FunctionId, FunctionSpec][]).filter(
  ([, spec]) => spec.trigger?.kind === 'dynamodb-stream',
);

/** Every IAM statement attached to a function's role. */
const statementsOf = (functionId: FunctionId) => {
  const roleId = synth.resources[logicalId(synth.stack, synth.stack.functions[functionId])]!.Properties!.Role[
    'Fn::GetAtt'
  ][0] as string;
  return ofType('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties!.Roles.some((role: { Ref: string }) => role.Ref === roleId))
    .flatMap(
      ([, policy]) =>
        policy.Properties!.PolicyDocument.Statement as {
          Effect: string;
          Action: string | string[];
          Resource: unknown;
        }[],
    );
};
/**
 * Whether the function's role allows `action` on exactly `resource` (statements may be merged, so both may be lists).
 */
const allows = (functionId: FunctionId, action: string, resource: unknown) =>
  statementsOf(functionId).some(
    (statement) =>
      statement.Effect === 'Allow' &&
      [statement.Action].flat().includes(action) &&
      [statement.Resource].flat().some((candidate) => JSON.stringify(candidate) === JSON.stringify(resource)),
  );
const queueArn = (queueId: QueueId) => ({ 'Fn::GetAtt': [logicalId(synth.stack, synth.stack.queues[queueId]), 'Arn'] });

beforeAll(() => {
  synth = synthesize();
});
afterAll(() => {
  removeAssembly(synth);
});

describe('ledger table', () => {
  it("is recoverable, encrypted with its own rotating key, kept and protected as the stage's settings say", () => {
    // Prepare
    const keyId = logicalId(synth.stack, synth.stack.ledger.key);

    // Assess
    synth.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: kept,
      UpdateReplacePolicy: kept,
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: settings.removalPolicy === 'retain',
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      }),
    });
    expect(synth.resources[keyId]).toMatchObject({ DeletionPolicy: kept, Properties: { EnableKeyRotation: true } });
  });

  it('has the deliveries index (gsi2pk, gsi2sk; all attributes) that the delivery function may query', () => {
    // Prepare
    const tableId = logicalId(synth.stack, synth.stack.ledger.table);

    // Assess
    expect(synth.resources[tableId]?.Properties).toMatchObject({
      AttributeDefinitions: expect.arrayContaining([
        { AttributeName: 'gsi2pk', AttributeType: 'S' },
        { AttributeName: 'gsi2sk', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: expect.arrayContaining([
        {
          IndexName: 'deliveries',
          KeySchema: [
            { AttributeName: 'gsi2pk', KeyType: 'HASH' },
            { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ]),
    });
    expect(
      allows('webhookDelivery', 'dynamodb:Query', {
        'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/*']],
      }),
    ).toBe(true);
  });
});

describe('queues', () => {
  it('delivers webhooks through a FIFO queue with a FIFO dead-letter queue', () => {
    // Prepare
    const dlqId = logicalId(synth.stack, synth.stack.queues.webhookDeliveryDlq);

    // Assess
    synth.template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      VisibilityTimeout: queueSpecs.webhookDelivery.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: Match.anyValue() },
    });
    expect(synth.resources[dlqId]?.Properties).toMatchObject({ FifoQueue: true });
  });

  it('keeps the delivery visibility at least six times the delivery timeout', () => {
    expect(queueSpecs.webhookDelivery.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(
      6 * functionSpecs.webhookDelivery.timeoutSeconds,
    );
  });

  it('encrypts every queue with the customer-managed, rotating queue key and refuses requests without TLS', () => {
    // Prepare
    const keyId = logicalId(synth.stack, synth.stack.queueKey);
    const customerKeys = ofType('AWS::KMS::Key').map(([id]) => id);

    // Assess: not SQS-managed, not the AWS-managed alias/aws/sqs, but the stack's own key
    expect(ofType('AWS::SQS::Queue')).toHaveLength(Object.keys(queueSpecs).length);
    for (const [, queue] of ofType('AWS::SQS::Queue')) {
      expect(queue.Properties?.SqsManagedSseEnabled).toBeUndefined();
      expect(queue.Properties?.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    }
    expect(customerKeys).toContain(keyId);
    expect(synth.resources[keyId]).toMatchObject({ DeletionPolicy: kept, Properties: { EnableKeyRotation: true } });
    expect(ofType('AWS::SQS::QueuePolicy')).toHaveLength(ofType('AWS::SQS::Queue').length);
    synth.template.allResourcesProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      }),
    });
  });
});

describe('functions', () => {
  it("run Node 24 on arm64 with source maps, the stage's log level and log retention", () => {
    // Prepare
    const platformFunctions = platformLambdaFunctions(synth);

    // Assess
    expect(platformFunctions).toHaveLength(Object.keys(functionSpecs).length);
    for (const [, fn] of platformFunctions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        Environment: {
          Variables: expect.objectContaining({
            NODE_OPTIONS: '--enable-source-maps',
            STAGE: 'test',
            POWERTOOLS_SERVICE_NAME: 'loyalty-ledger',
            POWERTOOLS_LOG_LEVEL: settings.logLevel,
            POWERTOOLS_METRICS_NAMESPACE: 'LoyaltyLedger/test',
          }),
        },
      });
    }
    synth.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: settings.logRetentionDays });
  });

  it('are bundled as ES modules that define require for CommonJS dependencies', () => {
    // Prepare
    const { stack, app } = synth;
    const code = synth.resources[logicalId(stack, stack.functions.api)]!.Properties!.Code as { S3Key: string };
    // The cloud assembly keeps each bundle in `asset.<hash>`; the function's S3 key is `<hash>.zip`.
    const assetPath = `asset.${code.S3Key.replace(/\.zip$/, '')}`;
    const bundle = readFileSync(join(app.outdir, assetPath, 'index.mjs'), 'utf8');

    // Assess
    expect(
      bundle.startsWith("import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"),
    ).toBe(true);
    expect(readFileSync(join(app.outdir, assetPath, 'index.mjs.map'), 'utf8').length).toBeGreaterThan(0);
  });

  it('use their own roles: no managed policies, no Scan, no table-wide wildcards', () => {
    // Prepare
    const statements = ofType('AWS::IAM::Policy').flatMap(
      ([, policy]) => policy.Properties!.PolicyDocument.Statement as { Action: string | string[] }[],
    );
    const actions = statements.flatMap((statement) => [statement.Action].flat());

    // Assess
    for (const [functionId] of Object.entries(functionSpecs)) {
      const roleId =
        synth.resources[logicalId(synth.stack, synth.stack.functions[functionId as FunctionId])]!.Properties!.Role[
          'Fn::GetAtt'
        ][0];
      expect(synth.resources[roleId]?.Properties?.ManagedPolicyArns).toBeUndefined();
    }
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions.filter((action) => action.endsWith(':*'))).toEqual([]);
  });

  it("give the lake router read-only access to table items (its tenants' lake settings)", () => {
    // Prepare
    const roleId =
      synth.resources[logicalId(synth.stack, synth.stack.functions.lakeRouter)]!.Properties!.Role['Fn::GetAtt'][0];
    const policy = ofType('AWS::IAM::Policy').find(([, p]) =>
      p.Properties!.Roles.some((r: { Ref: string }) => r.Ref === roleId),
    )!;
    const actions = (policy[1].Properties!.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) =>
      [s.Action].flat(),
    );

    // Assess
    expect(actions.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual(
      [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:Query',
      ].sort(),
    );
  });
});

describe('webhook delivery access', () => {
  it('lets the delivery function dead-letter to the DLQ and hold messages on the delivery queue', () => {
    expect(allows('webhookDelivery', 'sqs:SendMessage', queueArn('webhookDeliveryDlq'))).toBe(true);
    for (const action of ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage']) {
      expect([action, allows('webhookDelivery', action, queueArn('webhookDelivery'))]).toEqual([action, true]);
    }
  });

  it('lets the API and the router queue deliveries', () => {
    expect(allows('api', 'sqs:SendMessage', queueArn('webhookDelivery'))).toBe(true);
    expect(allows('webhookRouter', 'sqs:SendMessage', queueArn('webhookDelivery'))).toBe(true);
  });

  it('lets senders (on-failure destinations included) and receivers use the queue key, no further', () => {
    // Prepare
    const queueKey = { 'Fn::GetAtt': [logicalId(synth.stack, synth.stack.queueKey), 'Arn'] };
    const keyActions = (functionId: FunctionId) =>
      ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:Encrypt'].filter((action) => allows(functionId, action, queueKey));

    // Assess: the stream consumers and the scheduled job send only failure records, yet need the key
    expect(keyActions('webhookRouter')).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
    expect(keyActions('lakeRouter')).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
    expect(keyActions('housekeeping')).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
    expect(keyActions('webhookDelivery')).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
    expect(keyActions('authorizer')).toEqual([]);
  });

  it('gives functions without a declared queue no queue access', () => {
    expect(
      statementsOf('authorizer')
        .flatMap((statement) => [statement.Action].flat())
        .filter((a) => a.startsWith('sqs:')),
    ).toEqual([]);
  });
});

describe('webhook signing secrets', () => {
  it('are sealed under their own rotating, retained key: the API seals and opens, delivery only opens', () => {
    // Prepare
    const keyId = logicalId(synth.stack, synth.stack.secretsKey);
    const secretsKey = { 'Fn::GetAtt': [keyId, 'Arn'] };
    const keyActions = (functionId: FunctionId) =>
      ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'].filter((action) =>
        allows(functionId, action, secretsKey),
      );

    // Assess
    expect(synth.stack.secretsKey.node.path).toBe(`${synth.stack.node.path}/Webhooks/SecretsKey`);
    expect(synth.resources[keyId]).toMatchObject({
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: kept,
    });
    expect(keyActions('api')).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
    expect(keyActions('webhookDelivery')).toEqual(['kms:Decrypt']);
    // Every grant on the key asks for an encryption context of exactly a tenant and an endpoint.
    const onKey = (['api', 'webhookDelivery'] as const).flatMap((functionId) =>
      statementsOf(functionId).filter((statement) =>
        [statement.Resource].flat().some((resource) => JSON.stringify(resource) === JSON.stringify(secretsKey)),
      ),
    );
    const conditionOf = (statement: unknown) => (statement as { Condition?: unknown }).Condition;
    const pseudonymCondition = {
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenantId', 'purpose'] },
      StringEquals: { 'kms:EncryptionContext:purpose': 'pseudonyms' },
      Null: { 'kms:EncryptionContext:tenantId': 'false' },
    };
    const forPseudonyms = (statement: unknown) =>
      JSON.stringify(conditionOf(statement)) === JSON.stringify(pseudonymCondition);
    const forSecrets = onKey.filter((statement) => !forPseudonyms(statement));
    expect(forSecrets).toHaveLength(2);
    for (const statement of forSecrets)
      expect(conditionOf(statement)).toEqual({
        'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenantId', 'subscriptionId'] },
        Null: { 'kms:EncryptionContext:tenantId': 'false', 'kms:EncryptionContext:subscriptionId': 'false' },
      });
    // ... and tenants' pseudonymisation keys under a context of a tenant and that purpose: the API seals them,
    // the lake router only opens them.
    expect(onKey.filter(forPseudonyms)).toHaveLength(1);
    const lakeOnKey = statementsOf('lakeRouter').filter((statement) =>
      [statement.Resource].flat().some((resource) => JSON.stringify(resource) === JSON.stringify(secretsKey)),
    );
    expect(lakeOnKey.map((statement) => [conditionOf(statement), [statement.Action].flat()])).toEqual([
      [pseudonymCondition, ['kms:Decrypt']],
    ]);
    for (const functionId of ['authorizer', 'webhookRouter', 'housekeeping'] as const)
      expect([functionId, keyActions(functionId)]).toEqual([functionId, []]);
    const environment = (functionId: FunctionId) =>
      synth.resources[logicalId(synth.stack, synth.stack.functions[functionId])]!.Properties!.Environment.Variables;
    expect(environment('api').WEBHOOK_SECRETS_KEY).toEqual(secretsKey);
    expect(environment('webhookDelivery').WEBHOOK_SECRETS_KEY).toEqual(secretsKey);
    expect(environment('webhookRouter').WEBHOOK_SECRETS_KEY).toBeUndefined();
  });
});

describe('tenant throttling', () => {
  it('lets only the API function keep tenants in usage plans, on usage plans and API keys only', () => {
    // Prepare
    const apiGateway = (path: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, `::/${path}*`]],
    });
    const grants = (functionId: FunctionId) =>
      ['apigateway:GET', 'apigateway:POST', 'apigateway:DELETE', 'apigateway:PATCH'].flatMap((action) =>
        ['usageplans', 'apikeys']
          .filter((path) => allows(functionId, action, apiGateway(path)))
          .map((p) => `${action} ${p}`),
      );
    const apigatewayActions = (functionId: FunctionId) =>
      statementsOf(functionId)
        .flatMap((statement) => [statement.Action].flat())
        .filter((action) => action.startsWith('apigateway:'));

    // Assess
    expect(grants('api')).toEqual([
      'apigateway:GET usageplans',
      'apigateway:GET apikeys',
      'apigateway:POST usageplans',
      'apigateway:POST apikeys',
      'apigateway:DELETE usageplans',
      'apigateway:DELETE apikeys',
    ]);
    for (const functionId of ['authorizer', 'webhookRouter', 'lakeRouter', 'webhookDelivery', 'housekeeping'] as const)
      expect([functionId, apigatewayActions(functionId)]).toEqual([functionId, []]);
  });
});

describe('event-source mappings', () => {
  it('stream consumers bisect, retry boundedly, send old records to the failure queue, report partial failures', () => {
    // Prepare
    const failuresId = logicalId(synth.stack, synth.stack.queues.streamFailures);
    const streamMappings = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => m.Properties?.StartingPosition);

    // Assess
    expect(streamMappings).toHaveLength(streamConsumers.length);
    synth.template.allResourcesProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    for (const [, mapping] of streamMappings) {
      expect(mapping.Properties).toMatchObject({
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: expect.any(Number),
        MaximumRecordAgeInSeconds: expect.any(Number),
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failuresId, 'Arn'] } } },
        FilterCriteria: { Filters: [{ Pattern: expect.stringContaining('"INSERT"') }] },
      });
    }
  });

  it('the delivery function reads the FIFO queue with bounded concurrency and no batching window', () => {
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(synth.stack, synth.stack.queues.webhookDelivery), 'Arn'] },
      ScalingConfig: { MaximumConcurrency: functionSpecs.webhookDelivery.trigger.maxConcurrency },
      MaximumBatchingWindowInSeconds: Match.absent(),
    });
  });
});

describe('raw-event lake', () => {
  it('partitions dynamically by the event fields into gzip files with encryption and logging', () => {
    synth.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        DynamicPartitioningConfiguration: { Enabled: true },
        Prefix: Match.stringLikeRegexp('^events/tenant=!\\{partitionKeyFromQuery:tenant\\}/'),
        CompressionFormat: 'GZIP',
        BufferingHints: {
          IntervalInSeconds: settings.lakeBuffering.intervalSeconds,
          SizeInMBs: settings.lakeBuffering.sizeMiB,
        },
        EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: Match.anyValue() } },
        CloudWatchLoggingOptions: Match.objectLike({ Enabled: true }),
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            Match.objectLike({
              Type: 'MetadataExtraction',
              Parameters: Match.arrayWith([{ ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' }]),
            }),
          ],
        },
      }),
    });
  });

  it('keeps files in a private, versioned, KMS-encrypted, logged bucket that refuses plain HTTP', () => {
    // Prepare
    const bucketId = logicalId(synth.stack, synth.stack.lake.bucket);

    // Assess
    expect(synth.resources[bucketId]).toMatchObject({
      DeletionPolicy: kept,
      Properties: {
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: { DestinationBucketName: { Ref: expect.any(String) } },
        LifecycleConfiguration: {
          Rules: expect.arrayContaining([
            expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
          ]),
        },
      },
    });
    synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      }),
    });
  });
});

describe('access-token keys', () => {
  it('signs OAuth tokens with asymmetric P-256 KMS keys in two retained slots; only the token function signs', () => {
    // Prepare
    const { stack } = synth;
    const slotIds = Object.values(stack.tokenKeys.bySlot).map((key) => logicalId(stack, key));
    const signers = ofType('AWS::IAM::Policy').filter(([, policy]) =>
      (policy.Properties!.PolicyDocument.Statement as { Action: string | string[] }[]).some((statement) =>
        [statement.Action].flat().includes('kms:Sign'),
      ),
    );

    // Assess
    expect(slotIds).toHaveLength(2);
    for (const id of slotIds) {
      expect(synth.resources[id]).toMatchObject({
        DeletionPolicy: kept,
        Properties: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' },
      });
    }
    const tokenFunction = synth.resources[logicalId(stack, stack.functions.token)]!;
    const tokenRoleId = tokenFunction.Properties!.Role['Fn::GetAtt'][0] as string;
    expect(signers.map(([, policy]) => policy.Properties!.Roles)).toEqual([[{ Ref: tokenRoleId }]]);
  });
});

describe('buckets', () => {
  it('encrypts every bucket with a customer-managed, rotating key of the stack', () => {
    // Prepare
    const buckets = ofType('AWS::S3::Bucket');
    const keys = new Map(ofType('AWS::KMS::Key'));

    // Assess: the lake bucket, its access-log bucket and the imports bucket, nothing on SSE-S3 or aws/s3
    expect(buckets.map(([id]) => id).sort()).toEqual(
      [
        logicalId(synth.stack, synth.stack.lake.bucket),
        logicalId(synth.stack, synth.stack.lake.accessLogsBucket),
        logicalId(synth.stack, synth.stack.imports.bucket),
      ].sort(),
    );
    for (const [, bucket] of buckets) {
      const [rule] = bucket.Properties!.BucketEncryption.ServerSideEncryptionConfiguration;
      expect(rule.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
      const keyId = rule.ServerSideEncryptionByDefault.KMSMasterKeyID['Fn::GetAtt'][0] as string;
      expect(keys.get(keyId)?.Properties).toMatchObject({ EnableKeyRotation: true });
    }
  });

  it('lets S3 log delivery use the access-log key, which encrypts nothing else', () => {
    // Prepare
    const accessLogsKeyId = logicalId(synth.stack, synth.stack.lake.accessLogsKey);
    const keyOf = (bucket: { node: { defaultChild?: unknown } }) =>
      synth.resources[logicalId(synth.stack, bucket)]!.Properties!.BucketEncryption.ServerSideEncryptionConfiguration[0]
        .ServerSideEncryptionByDefault.KMSMasterKeyID['Fn::GetAtt'][0];
    const keyStatements = synth.resources[accessLogsKeyId]!.Properties!.KeyPolicy.Statement as Record<string, any>[];

    // Assess
    expect(keyOf(synth.stack.lake.accessLogsBucket)).toBe(accessLogsKeyId);
    expect(keyOf(synth.stack.lake.bucket)).not.toBe(accessLogsKeyId);
    expect(keyStatements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: expect.arrayContaining(['kms:GenerateDataKey*']),
      }),
    );
  });
});

describe('API', () => {
  it('has no custom domain unless one is configured, and keeps the execute-api address on', () => {
    synth.template.resourceCountIs('AWS::ApiGateway::DomainName', 0);
    synth.template.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: Match.absent() });
  });

  it('authorizes every request with a REQUEST authorizer, API Gateway caching nothing (no identity source)', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: Match.absent(),
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  it('leaves only the public document and the OAuth routes without authorizer', () => {
    // Prepare
    const open = ofType('AWS::ApiGateway::Method').filter(([, m]) => m.Properties!.AuthorizationType === 'NONE');

    // Assess: the open methods sit on openapi.json, the token endpoint (the client authenticates in the request) and
    // the JWKS, nowhere else.
    const opened = open.map(([, method]) => {
      const resourceId = (method.Properties!.ResourceId as { Ref?: string }).Ref;
      const pathPart = synth.resources[resourceId!]!.Properties!.PathPart as string;
      return `${method.Properties!.HttpMethod as string} ${pathPart}`;
    });
    expect(opened.sort()).toEqual(['GET jwks.json', 'GET openapi.json', 'POST token']);
  });

  it('logs access as JSON, logs errors without bodies, and validates required parameters', () => {
    // Assess
    synth.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [Match.objectLike({ LoggingLevel: 'ERROR', DataTraceEnabled: false, MetricsEnabled: true })],
    });
    synth.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestParameters: true });
    synth.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'CUSTOM',
      // No credential header is required of the method: the authorizer takes an API key or, later, a bearer token.
      RequestParameters: Match.exact({ 'method.request.path.memberId': true }),
    });
  });

  it('answers every error of its own as problem+json, DEFAULT_4XX and DEFAULT_5XX included', () => {
    // Prepare
    const responses = new Map(
      ofType('AWS::ApiGateway::GatewayResponse').map(([, r]) => [r.Properties!.ResponseType as string, r.Properties!]),
    );

    // Assess: every response type API Gateway has is configured, each body a problem whose status is the response's.
    expect([...responses.keys()].sort()).toEqual([...GATEWAY_RESPONSE_TYPES].sort());
    for (const type of GATEWAY_RESPONSE_TYPES) {
      const properties = responses.get(type)!;
      const body = JSON.parse(properties.ResponseTemplates['application/json']);
      expect(properties.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
      expect(body).toMatchObject({
        code: expect.any(String),
        status: expect.any(Number),
        type: expect.stringMatching(/^https:/),
      });
      // The fallbacks keep API Gateway's own status (setting one would change every unlisted type's).
      if (type.startsWith('DEFAULT_')) expect(properties.StatusCode).toBeUndefined();
      else expect(properties.StatusCode).toBe(String(body.status));
    }
    expect(JSON.parse(responses.get('DEFAULT_4XX')!.ResponseTemplates['application/json'])).toMatchObject({
      status: 400,
      code: 'bad_request',
    });
    expect(JSON.parse(responses.get('DEFAULT_5XX')!.ResponseTemplates['application/json'])).toMatchObject({
      status: 502,
      code: 'bad_gateway',
    });
    expect(responses.get('MISSING_AUTHENTICATION_TOKEN')).toMatchObject({ StatusCode: '404' });
    for (const type of ['THROTTLED', 'AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR']) {
      expect(responses.get(type)!.ResponseParameters['gatewayresponse.header.Retry-After']).toBe("'2'");
    }
  });

  it('answers with exactly what the twin gateway answers', () => {
    // Prepare
    const responses = ofType('AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties!);

    // Assess: the template and the twin render the same list; no body needs a template variable.
    for (const problem of GATEWAY_RESPONSE_TYPES.map(gatewayProblem)) {
      const properties = responses.find((r) => r.ResponseType === problem.type)!;
      expect(properties.ResponseTemplates['application/json']).toBe(problem.body);
      expect(problem.body).not.toContain('$');
      const headers = Object.fromEntries(
        Object.entries(properties.ResponseParameters as Record<string, string>).map(([name, value]) => [
          name.replace('gatewayresponse.header.', '').toLowerCase(),
          value.slice(1, -1),
        ]),
      );
      expect(headers).toEqual(problem.headers);
    }
  });
});

describe('alarms', () => {
  const alarmOn = (metricName: string, dimensions: Record<string, unknown>) => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: metricName,
      Dimensions: [Match.objectLike(dimensions)],
      AlarmActions: [{ Ref: logicalId(synth.stack, synth.stack.observability.alarmTopic) }],
    });
  };

  it.each(['webhookDeliveryDlq', 'streamFailures'] as const)('fires as soon as %s holds a message', (queueId) => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(synth.stack, synth.stack.queues[queueId]), 'QueueName'] },
        },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: Match.anyValue(),
    });
  });

  it('watches errors of every function and the iterator age of every stream consumer', () => {
    for (const functionId of Object.keys(functionSpecs) as FunctionId[]) {
      alarmOn('Errors', {
        Name: 'FunctionName',
        Value: { Ref: logicalId(synth.stack, synth.stack.functions[functionId]) },
      });
    }
    for (const [functionId] of streamConsumers) {
      alarmOn('IteratorAge', {
        Name: 'FunctionName',
        Value: { Ref: logicalId(synth.stack, synth.stack.functions[functionId]) },
      });
    }
  });

  it('alarms on backlogs before retention drops messages; the delivery queue when nobody receives for an hour', () => {
    // Prepare
    const backlogAlarms = ofType('AWS::CloudWatch::Alarm').filter(
      ([, a]) => a.Properties!.MetricName === 'ApproximateAgeOfOldestMessage',
    );
    const thresholdOf = (queueId: QueueId) =>
      backlogAlarms.find(
        ([, a]) =>
          JSON.stringify(a.Properties!.Dimensions[0].Value) ===
          JSON.stringify({ 'Fn::GetAtt': [logicalId(synth.stack, synth.stack.queues[queueId]), 'QueueName'] }),
      )?.[1].Properties!.Threshold;

    // Assess: SQS leaves retrying heads (received 3+ times) out of this metric, so it only sees a stalled consumer.
    expect(thresholdOf('webhookDelivery')).toBe(3600);
    for (const [queueId, spec] of Object.entries(queueSpecs) as [QueueId, (typeof queueSpecs)[QueueId]][]) {
      const threshold = thresholdOf(queueId);
      if (threshold !== undefined) expect([queueId, threshold < spec.retentionPeriodSeconds]).toEqual([queueId, true]);
    }
  });

  it('alarms on the messages held in flight by retries, well before the FIFO in-flight quota', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesNotVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(synth.stack, synth.stack.queues.webhookDelivery), 'QueueName'] },
        },
      ],
      Threshold: 60_000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms before Firehose runs out of active partitions, and when it has', () => {
    alarmOn('PartitionCount', { Name: 'DeliveryStreamName' });
    alarmOn('PartitionCountExceeded', { Name: 'DeliveryStreamName' });
  });

  it('pages when raw events are written under the lake bucket’s error prefix, which no Firehose metric counts', () => {
    // Prepare: the lake bucket's request-metrics filter on the fixed start of the error prefix.
    const { lake } = synth.stack;
    const bucket = synth.resources[logicalId(synth.stack, lake.bucket)]!;
    expect(bucket.Properties!.MetricsConfigurations).toEqual([{ Id: lake.errorsMetricsFilterId, Prefix: 'errors/' }]);
    expect(rawEvents.errorPrefix.startsWith('errors/')).toBe(true);

    // Assess: any object written there within 5 minutes pages.
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/S3',
      MetricName: 'PutRequests',
      Dimensions: Match.arrayWith([
        { Name: 'BucketName', Value: { Ref: logicalId(synth.stack, lake.bucket) } },
        { Name: 'FilterId', Value: lake.errorsMetricsFilterId },
      ]),
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(synth.stack, synth.stack.observability.alarmTopic) }],
      AlarmDescription: Match.stringLikeRegexp('error prefix \\(errors/<error type>/\\).*backfill'),
    });
  });

  it('pages once per 15 minutes in which tenant endpoints were disabled, with what to check', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'LoyaltyLedger/test',
      MetricName: 'EndpointsDisabled',
      Dimensions: [{ Name: 'service', Value: 'loyalty-ledger' }],
      Statistic: 'Sum',
      Period: 900,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(synth.stack, synth.stack.observability.alarmTopic) }],
      AlarmDescription: Match.stringLikeRegexp(
        'endpoints were disabled.*GET /v1/webhooks/endpoints/\\{subscriptionId\\}.*docs/runbooks/webhook-dlq\\.md',
      ),
    });
  });

  it('never pages on individual webhook attempts', () => {
    const webhookAlarms = ofType('AWS::CloudWatch::Alarm').filter(
      ([, a]) => a.Properties!.Namespace === 'LoyaltyLedger/test',
    );
    expect(webhookAlarms.map(([, a]) => a.Properties!.MetricName).sort()).toEqual([
      'EndpointsDisabled',
      'QueuedMessageWaitingSeconds',
    ]);
  });

  it('pages when a message waited on the queue past every legitimate wait (6 days), which SQS metrics miss', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'LoyaltyLedger/test',
      MetricName: 'QueuedMessageWaitingSeconds',
      Dimensions: [{ Name: 'service', Value: 'loyalty-ledger' }],
      Statistic: 'Maximum',
      Threshold: stageSettingsFor('test').alarms.webhookWaitingDays * 86_400,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('watches API 5xx, API p99 latency and lake freshness at the stage’s thresholds, on a dashboard', () => {
    const thresholds = stageSettingsFor('test').alarms;
    alarmOn('5XXError', { Name: 'ApiName' });
    alarmOn('DeliveryToS3.DataFreshness', { Name: 'DeliveryStreamName' });
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5XXError',
      Threshold: thresholds.api5xxPerFiveMinutes,
    });
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Threshold: thresholds.apiLatencyP99Ms,
      AlarmActions: [{ Ref: logicalId(synth.stack, synth.stack.observability.alarmTopic) }],
    });
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DeliveryToS3.DataFreshness',
      Threshold: thresholds.lakeFreshnessSeconds,
    });
    expect(ofType('AWS::CloudWatch::Dashboard')).toHaveLength(1);
    synth.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });
});

/** The dashboard's body as text: a Fn::Join of JSON text and resource references, references rendered as JSON. */
const dashboardBody = () => {
  const [, dashboard] = ofType('AWS::CloudWatch::Dashboard')[0]!;
  const parts = dashboard.Properties!.DashboardBody['Fn::Join'][1] as unknown[];
  return parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
};

describe('platform metrics (EMF) and the dashboard', () => {
  it('reads no log text: there is no metric filter in the template', () => {
    expect(ofType('AWS::Logs::MetricFilter')).toEqual([]);
  });

  it('gives every function the stage namespace its metrics are published in', () => {
    const platformFunctions = platformLambdaFunctions(synth);

    expect(platformFunctions).toHaveLength(Object.keys(functionSpecs).length);
    for (const [, fn] of platformFunctions) {
      expect(fn.Properties!.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE).toBe('LoyaltyLedger/test');
    }
  });

  it('graphs every declared platform metric in LoyaltyLedger/<stage> with the service dimension', () => {
    // Prepare
    const body = dashboardBody();
    const graphed = [...body.matchAll(/\["LoyaltyLedger\/test","(\w+)","service","loyalty-ledger"/g)].map(
      (match) => match[1],
    );

    // Assess
    expect([...new Set(graphed)].sort()).toEqual(Object.keys(platformMetrics).sort());
    expect(body).not.toContain('LoyaltyLedger/test/');
  });

  it('shows the alarm status on top, then each declared section and panel in order', () => {
    // Prepare
    const body = dashboardBody();
    const titles = dashboard.flatMap((section) => [
      `## ${section.title}`,
      ...section.panels.map((panel) => JSON.stringify(panel.title)),
    ]);

    // Assess
    expect(body.indexOf('"title":"Alarms"')).toBeGreaterThan(-1);
    let from = body.indexOf('"title":"Alarms"');
    for (const title of titles) {
      const at = body.indexOf(title, from);
      expect([title, at > from]).toEqual([title, true]);
      from = at;
    }
  });

  it('draws a line per queue for the dead-letter panel, and per stream consumer for the lag panel', () => {
    // Prepare
    const body = dashboardBody();
    const queueName = (queueId: QueueId) =>
      JSON.stringify({ 'Fn::GetAtt': [logicalId(synth.stack, synth.stack.queues[queueId]), 'QueueName'] });

    // Assess
    for (const queueId of ['webhookDeliveryDlq', 'streamFailures'] as const)
      expect([
        queueId,
        body.includes(`"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","${queueName(queueId)}"`),
      ]).toEqual([queueId, true]);
    for (const [functionId] of streamConsumers) {
      const name = JSON.stringify({ Ref: logicalId(synth.stack, synth.stack.functions[functionId]) });
      expect([functionId, body.includes(`"AWS/Lambda","IteratorAge","FunctionName","${name}"`)]).toEqual([
        functionId,
        true,
      ]);
    }
  });

  it('pages on no consumer lag: a tenant’s consumer that stops reading is its own choice', () => {
    const alarmMetrics = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties!.MetricName);
    expect(alarmMetrics).not.toContain('ConsumerLagSeconds');
  });
});
