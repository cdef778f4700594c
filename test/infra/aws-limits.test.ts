import { longestLakeBufferSeconds } from '../../functions/declaration/stages';
import { api, rawEvents, routes, usageKeyRequired } from '../../functions/declaration/topology';
import { activePartitions } from '../../functions/declaration/lake-partitioning';
import { EVENT_TYPES } from '../../functions/domain/events';
import { logicalId, removeAssembly, synthesize, type Synthesized } from './synth';
import { render } from './worst-case';

/**
 * Documented AWS limits that a template can break while `cdk synth` still succeeds: each one is
 * checked here against the synthesized template, with names and ARNs at their longest.
 */

/** Lambda: a function's resource-based policy holds at most 20 KB. */
const LAMBDA_POLICY_MAX_BYTES = 20 * 1024;
/** Lambda: all environment variables of a function together at most 4 KB. */
const LAMBDA_ENVIRONMENT_MAX_BYTES = 4 * 1024;
/** CloudFormation: a template (uploaded through S3) at most 1 MB and 500 resources. */
const TEMPLATE_MAX_BYTES = 1_000_000;
const TEMPLATE_MAX_RESOURCES = 500;
/** DynamoDB Streams: more than two readers of one shard get throttled. */
const STREAM_MAX_READERS = 2;

let synth: Synthesized;
const stackName = () => synth.stack.stackName;
const ofType = (type: string) => Object.entries(synth.resources).filter(([, resource]) => resource.Type === type);
const sameRef = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

beforeAll(() => {
  synth = synthesize('production-eu-west-1');
});
afterAll(() => {
  removeAssembly(synth);
});

describe('Lambda limits', () => {
  it("keeps every function's and alias's resource policy under 20 KB", () => {
    // Prepare: the policy AWS builds from the AWS::Lambda::Permission resources of a function or an alias (each
    // qualifier has a policy of its own)
    const targets = [
      ...ofType('AWS::Lambda::Function').map(([id]) => [id, { 'Fn::GetAtt': [id, 'Arn'] }] as const),
      ...ofType('AWS::Lambda::Alias').map(([id]) => [id, { Ref: id }] as const),
    ];
    const sizes = targets.map(([functionId, reference]) => {
      const statements = ofType('AWS::Lambda::Permission')
        .filter(([, permission]) => sameRef(permission.Properties!.FunctionName, reference))
        .map(([permissionId, permission]) => {
          const properties = render(permission.Properties, stackName(), synth.resources);
          return {
            Sid: render({ Ref: permissionId }, stackName(), synth.resources),
            Effect: 'Allow',
            Principal: { Service: properties.Principal },
            Action: properties.Action,
            Resource: properties.FunctionName,
            ...(properties.SourceArn ? { Condition: { ArnLike: { 'AWS:SourceArn': properties.SourceArn } } } : {}),
          };
        });
      const policy = JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements });
      return { functionId, statements: statements.length, bytes: Buffer.byteLength(policy) };
    });

    // Assess
    console.log(
      `resource policies: ${sizes.map((s) => `${s.functionId} ${s.statements} statements, ${s.bytes} B`).join('; ')}`,
    );
    for (const size of sizes)
      expect([size.functionId, size.bytes <= LAMBDA_POLICY_MAX_BYTES]).toEqual([size.functionId, true]);
    // Every permission belongs to one of them.
    expect(sizes.reduce((sum, size) => sum + size.statements, 0)).toBe(ofType('AWS::Lambda::Permission').length);
  });

  it("keeps every function's environment under 4 KB", () => {
    for (const [functionId, fn] of ofType('AWS::Lambda::Function')) {
      // Act
      const variables = render(fn.Properties!.Environment?.Variables ?? {}, stackName(), synth.resources) as Record<
        string,
        string
      >;
      const bytes = Object.entries(variables).reduce(
        (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value),
        0,
      );

      // Assess
      expect([functionId, bytes <= LAMBDA_ENVIRONMENT_MAX_BYTES]).toEqual([functionId, true]);
    }
  });
});

describe('CloudFormation limits', () => {
  it('keeps the template under 1 MB and 500 resources', () => {
    // Act
    const bytes = Buffer.byteLength(JSON.stringify(synth.template.toJSON()));
    const resources = Object.keys(synth.resources).length;

    // Assess
    console.log(`template: ${bytes} B, ${resources} resources`);
    expect(bytes).toBeLessThanOrEqual(TEMPLATE_MAX_BYTES);
    expect(resources).toBeLessThanOrEqual(TEMPLATE_MAX_RESOURCES);
  });
});

describe('DynamoDB Streams limits', () => {
  it('has at most two readers of the table stream', () => {
    // Prepare
    const streamArn = { 'Fn::GetAtt': [logicalId(synth.stack, synth.stack.ledger.table), 'StreamArn'] };

    // Act
    const readers = ofType('AWS::Lambda::EventSourceMapping').filter(([, mapping]) =>
      sameRef(mapping.Properties!.EventSourceArn, streamArn),
    );

    // Assess
    expect(readers.length).toBeGreaterThan(0);
    expect(readers.length).toBeLessThanOrEqual(STREAM_MAX_READERS);
  });
});

describe('Firehose limits', () => {
  it('stays within the active-partition quota for the planned number of tenants', () => {
    // Act
    const partitions = activePartitions(rawEvents.partitionKeys, {
      tenants: rawEvents.capacity.tenants,
      eventTypes: EVENT_TYPES.length,
      bufferIntervalSeconds: longestLakeBufferSeconds,
    });

    // Assess
    console.log(
      `lake: ${rawEvents.capacity.tenants} tenants need up to ${partitions} active partitions (quota ` +
        `${rawEvents.capacity.activePartitionQuota})`,
    );
    expect(partitions).toBeLessThanOrEqual(rawEvents.capacity.activePartitionQuota);
  });
});

describe('API Gateway usage plans and API keys (per account and region, shared by every stage there)', () => {
  it('fit the tenants a stage is sized for: a key each, and a plan each even if every tenant has other limits', () => {
    // Prepare: one API key per tenant; one usage plan per distinct (rate, burst), at worst one per tenant
    const { tenants } = rawEvents.capacity;
    const { usagePlanQuota, apiKeyQuota } = api.tenantThrottling;

    // Assess
    console.log(
      `usage plans: ${tenants} tenants need at most ${tenants} plans (quota ${usagePlanQuota}, adjustable) and ` +
        `${tenants} API keys (quota ${apiKeyQuota}, fixed)`,
    );
    expect(tenants).toBeLessThanOrEqual(usagePlanQuota);
    expect(tenants).toBeLessThanOrEqual(apiKeyQuota);
  });

  it('take the usage key from the authorizer on every tenant route, and only there', () => {
    // Prepare
    const restApi = Object.values(synth.resources).find((resource) => resource.Type === 'AWS::ApiGateway::RestApi')!;
    const methods = ofType('AWS::ApiGateway::Method').filter(
      ([, method]) => method.Properties!.HttpMethod !== 'OPTIONS',
    );
    const requiring = methods.filter(([, method]) => method.Properties!.ApiKeyRequired === true).length;

    // Assess: a key is in one plan per stage (API Gateway allows 10 plans per key), and tenant routes require it
    expect(restApi.Properties!.ApiKeySourceType).toBe('AUTHORIZER');
    expect(requiring).toBe(routes.filter(usageKeyRequired).length);
    expect(requiring).toBeGreaterThan(0);
  });
});

describe('SNS topics that alarms notify', () => {
  const alarmTopics = () =>
    new Set(
      ofType('AWS::CloudWatch::Alarm').flatMap(([, alarm]) =>
        [...(alarm.Properties!.AlarmActions ?? []), ...(alarm.Properties!.OKActions ?? [])].map((action) =>
          JSON.stringify(action),
        ),
      ),
    );

  it('lets CloudWatch publish (a policy that only denies takes away the default allow)', () => {
    // Prepare
    const topics = [...alarmTopics()];
    expect(topics.length).toBeGreaterThan(0);

    for (const topic of topics) {
      // Act
      const statements = ofType('AWS::SNS::TopicPolicy')
        .filter(([, policy]) =>
          policy.Properties!.Topics.some((candidate: unknown) => JSON.stringify(candidate) === topic),
        )
        .flatMap(([, policy]) => policy.Properties!.PolicyDocument.Statement as Record<string, any>[]);
      const allowsCloudWatch = statements.some(
        (statement) =>
          statement.Effect === 'Allow' &&
          [statement.Action].flat().includes('sns:Publish') &&
          [statement.Principal?.Service].flat().includes('cloudwatch.amazonaws.com'),
      );
      // A deny that also matches CloudWatch's TLS publish would win over the allow.
      const deniesCloudWatch = statements.some(
        (statement) => statement.Effect === 'Deny' && !(statement.Condition?.Bool?.['aws:SecureTransport'] === 'false'),
      );

      // Assess
      expect([topic, allowsCloudWatch, deniesCloudWatch]).toEqual([topic, true, false]);
    }
  });

  it("lets CloudWatch use the topic's encryption key", () => {
    for (const [, topic] of ofType('AWS::SNS::Topic')) {
      // Prepare
      const keyId = topic.Properties!.KmsMasterKeyId?.['Fn::GetAtt']?.[0] as string | undefined;
      if (!keyId) continue;

      // Act
      const statements = synth.resources[keyId]!.Properties!.KeyPolicy.Statement as Record<string, any>[];
      const granted = statements
        .filter(
          (statement) =>
            statement.Effect === 'Allow' && [statement.Principal?.Service].flat().includes('cloudwatch.amazonaws.com'),
        )
        .flatMap((statement) => [statement.Action].flat());

      // Assess
      expect(granted).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']));
    }
  });
});

/**
 * What the deployed ledger table is, in the properties whose change makes CloudFormation replace it
 * (logical id, name, key schema, local secondary indexes): with the table retained and its name
 * generated, a replacement would silently point every function at a new, empty table. Changing
 * this record is a data migration, not a code change: see docs/decisions/0005-deployability.md.
 */
const DEPLOYED_TABLE = {
  logicalId: 'DataLedgerDBC368C7',
  tableName: undefined,
  keySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  localSecondaryIndexes: [
    {
      IndexName: 'byTime',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'lsi1sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  globalSecondaryIndexes: ['members', 'due', 'deliveries'],
};

describe('CloudFormation updates of the ledger table', () => {
  const tables = () => ofType('AWS::DynamoDB::Table');

  it('never replace the table: same logical id, name, keys and local indexes as deployed', () => {
    // Prepare
    expect(tables()).toHaveLength(1);
    const [id, table] = tables()[0]!;

    // Assess
    expect({
      logicalId: id,
      tableName: table.Properties!.TableName,
      keySchema: table.Properties!.KeySchema,
      localSecondaryIndexes: table.Properties!.LocalSecondaryIndexes,
    }).toEqual({
      logicalId: DEPLOYED_TABLE.logicalId,
      tableName: DEPLOYED_TABLE.tableName,
      keySchema: DEPLOYED_TABLE.keySchema,
      localSecondaryIndexes: DEPLOYED_TABLE.localSecondaryIndexes,
    });
  });

  it('add or remove at most one global secondary index per deploy (CloudFormation refuses more)', () => {
    // Prepare
    const [, table] = tables()[0]!;
    const now = new Set(
      (table.Properties!.GlobalSecondaryIndexes as { IndexName: string }[]).map((index) => index.IndexName),
    );
    const deployed = new Set(DEPLOYED_TABLE.globalSecondaryIndexes);

    // Act
    const added = [...now].filter((name) => !deployed.has(name));
    const removed = [...deployed].filter((name) => !now.has(name));

    // Assess
    expect(added.length + removed.length).toBeLessThanOrEqual(1);
  });
});
