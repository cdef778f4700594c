import { Match } from 'aws-cdk-lib/assertions';
import {
  api as apiSpec,
  functions as functionSpecs,
  lambdaArchitecture,
  lambdaRuntime,
  queues as queueSpecs,
  rawEvents,
  routes,
  table as tableSpec,
  tokenSigningKeys,
  type FunctionId,
  type FunctionSpec,
  type QueueId,
  type QueueSpec,
} from '../../functions/declaration/topology';
import { stageSettingsFor } from '../../functions/declaration/stages';
import {
  liveAliasRefs,
  logicalId,
  platformLambdaFunctions,
  removeAssembly,
  synthesize,
  type Synthesized,
} from './synth';

/**
 * Drift: the deployed template must say what `functions/declaration/topology.ts` says, and the
 * local twin runs from that same declaration. Expected values are computed here straight from the topology, not with
 * the stack's own helpers, so a mistake in the stack cannot hide itself.
 */

let synth: Synthesized;
/** The stage the tests synthesize (`synthesize`'s default) and its settings. */
const settings = stageSettingsFor('test');
const sameRef = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const ofType = (type: string) => Object.entries(synth.resources).filter(([, resource]) => resource.Type === type);
const resource = (id: string) => {
  const found = synth.resources[id];
  if (!found) throw new Error(`No resource ${id} in the template`);
  return found.Properties ?? {};
};

const queueEntries = Object.entries(queueSpecs) as [QueueId, QueueSpec][];
const functionEntries = Object.entries(functionSpecs) as [FunctionId, FunctionSpec][];
const triggered = functionEntries.filter(([, spec]) => spec.trigger !== undefined && spec.trigger.kind !== 'schedule');
const scheduled = functionEntries.flatMap(([functionId, spec]) =>
  spec.trigger?.kind === 'schedule' ? [[functionId, spec.trigger] as const] : [],
);

beforeAll(() => {
  synth = synthesize();
});
afterAll(() => {
  removeAssembly(synth);
});

describe('table', () => {
  it('has the topology keys, billing, stream view, TTL and indexes', () => {
    // Prepare
    const props = resource(logicalId(synth.stack, synth.stack.ledger.table));

    // Assess
    expect(ofType('AWS::DynamoDB::Table')).toHaveLength(1);
    expect(props.KeySchema).toEqual([
      { AttributeName: tableSpec.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: tableSpec.sortKey.name, KeyType: 'RANGE' },
    ]);
    expect(props.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: tableSpec.partitionKey.name, AttributeType: tableSpec.partitionKey.type },
        { AttributeName: tableSpec.sortKey.name, AttributeType: tableSpec.sortKey.type },
      ]),
    );
    expect(props.BillingMode).toBe(tableSpec.billingMode);
    expect(props.StreamSpecification).toEqual({ StreamViewType: tableSpec.streamViewType });
    expect(props.TimeToLiveSpecification).toEqual({ AttributeName: tableSpec.timeToLiveAttribute, Enabled: true });
    expect(props.GlobalSecondaryIndexes).toEqual(
      tableSpec.globalSecondaryIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: index.projection },
      })),
    );
    expect(props.LocalSecondaryIndexes).toEqual(
      tableSpec.localSecondaryIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: tableSpec.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: index.projection },
      })),
    );
  });
});

describe('queues', () => {
  it('has exactly the topology queues', () => {
    expect(ofType('AWS::SQS::Queue')).toHaveLength(queueEntries.length);
  });

  it.each(queueEntries)('%s has the topology FIFO, visibility, retention and redrive', (queueId, spec) => {
    // Prepare
    const props = resource(logicalId(synth.stack, synth.stack.queues[queueId]));

    // Assess
    expect(props.FifoQueue ?? false).toBe(spec.fifo);
    expect(props.VisibilityTimeout).toBe(spec.visibilityTimeoutSeconds);
    expect(props.MessageRetentionPeriod).toBe(spec.retentionPeriodSeconds);
    if (spec.deadLetter) {
      const deadLetterQueue = synth.stack.queues[spec.deadLetter.queue];
      expect(deadLetterQueue).toBeDefined();
      expect(props.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(synth.stack, deadLetterQueue), 'Arn'] },
        maxReceiveCount: spec.deadLetter.maxReceiveCount,
      });
    } else {
      expect(props.RedrivePolicy).toBeUndefined();
    }
  });
});

describe('functions', () => {
  it('has exactly the topology functions', () => {
    expect(platformLambdaFunctions(synth)).toHaveLength(functionEntries.length);
  });

  it.each(functionEntries)(
    '%s has the topology runtime, size, timeout, description and environment',
    (functionId, spec) => {
      // Prepare
      const { stack } = synth;
      const props = resource(logicalId(stack, stack.functions[functionId]));
      const expectedValue = (ref: FunctionSpec['environment'][string]) => {
        switch (ref.ref) {
          case 'table':
            return { Ref: logicalId(stack, stack.ledger.table) };
          case 'queueUrl':
            return { Ref: logicalId(stack, stack.queues[ref.queue]) };
          case 'rawEventsStream':
            return { Ref: stack.getLogicalId(stack.lake.deliveryStream) };
          case 'secretsKey':
            return { 'Fn::GetAtt': [stack.getLogicalId(stack.secretsKey.node.defaultChild as never), 'Arn'] };
          case 'tenantThrottling':
            return {
              'Fn::Join': [
                '',
                [
                  'api-gateway:',
                  { Ref: logicalId(stack, stack.api.restApi) },
                  `/${synth.app.node.tryGetContext('stage') as string}`,
                ],
              ],
            };
          case 'apiBaseUrl':
            return stack.resolve(stack.api.publicBaseUrl);
          case 'tokenSigningKey':
            return { 'Fn::GetAtt': [logicalId(stack, stack.tokenKeys.active), 'Arn'] };
          case 'tokenPublicKeys':
            return {
              'Fn::Join': [
                '',
                tokenSigningKeys.slots.flatMap((slot, i) => [
                  ...(i > 0 ? [','] : []),
                  { 'Fn::GetAtt': [logicalId(stack, stack.tokenKeys.bySlot[slot]), 'Arn'] },
                ]),
              ],
            };
          case 'literal':
            return ref.value;
          case 'lakeBucket':
            return { Ref: logicalId(stack, stack.lake.bucket) };
          case 'functionArn':
            // The function's `live` alias: what its callers invoke.
            return liveAliasRefs(synth, ref.function as FunctionId).arn;
          case 'importsBucket':
            return { Ref: logicalId(stack, stack.imports.bucket) };
        }
      };
      const logGroupId = props.LoggingConfig?.LogGroup?.Ref as string;

      // Assess
      expect(props.Runtime).toBe(lambdaRuntime);
      expect(props.Architectures).toEqual([lambdaArchitecture]);
      expect(props.Timeout).toBe(spec.timeoutSeconds);
      expect(props.MemorySize).toBe(spec.memoryMiB);
      expect(props.Description).toBe(spec.description);
      expect(props.Handler).toBe(`index.${spec.handler}`);
      for (const [name, ref] of Object.entries(spec.environment)) {
        expect([name, props.Environment.Variables[name]]).toEqual([name, expectedValue(ref)]);
      }
      expect(resource(logGroupId).RetentionInDays).toBe(settings.logRetentionDays);
    },
  );
});

describe('event-source mappings', () => {
  it('has one mapping per topology trigger', () => {
    expect(ofType('AWS::Lambda::EventSourceMapping')).toHaveLength(triggered.length);
  });

  it.each(triggered)('%s mapping (on the live alias) has every trigger setting of the topology', (functionId, spec) => {
    // Prepare
    const { stack } = synth;
    const alias = liveAliasRefs(synth, functionId).qualifiedName;
    const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) =>
      sameRef(m.Properties?.FunctionName, alias),
    );
    const trigger = spec.trigger!;
    if (trigger.kind === 'schedule') throw new Error('schedules have no mapping');

    // Assess
    expect(mappings).toHaveLength(1);
    const props = mappings[0]![1].Properties!;
    expect(props.BatchSize).toBe(trigger.batchSize);
    // Every trigger reports batch item failures (the declaration's type allows no other value).
    expect(trigger.reportBatchItemFailures).toBe(true);
    expect(props.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    if (trigger.kind === 'dynamodb-stream') {
      expect(props.EventSourceArn).toEqual({ 'Fn::GetAtt': [logicalId(stack, stack.ledger.table), 'StreamArn'] });
      expect(props.StartingPosition).toBe(trigger.startingPosition);
      expect(props.MaximumBatchingWindowInSeconds).toBe(trigger.maxBatchingWindowSeconds);
      expect(props.BisectBatchOnFunctionError).toBe(trigger.bisectBatchOnError);
      expect(props.MaximumRetryAttempts).toBe(trigger.retryAttempts);
      expect(props.MaximumRecordAgeInSeconds).toBe(trigger.maxRecordAgeSeconds);
      expect(props.ParallelizationFactor).toBe(trigger.parallelizationFactor);
      expect(props.DestinationConfig).toEqual({
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack, stack.queues[trigger.onFailure]), 'Arn'] } },
      });
      expect(props.FilterCriteria).toEqual({
        Filters: trigger.filterPatterns.map((pattern) => ({ Pattern: JSON.stringify(pattern) })),
      });
    } else {
      expect(props.EventSourceArn).toEqual({ 'Fn::GetAtt': [logicalId(stack, stack.queues[trigger.queue]), 'Arn'] });
      expect(props.MaximumBatchingWindowInSeconds ?? 0).toBe(trigger.maxBatchingWindowSeconds);
      expect(props.ScalingConfig).toEqual({ MaximumConcurrency: trigger.maxConcurrency });
    }
  });
});

describe('schedules', () => {
  it('has one EventBridge schedule per scheduled function', () => {
    expect(ofType('AWS::Scheduler::Schedule')).toHaveLength(scheduled.length);
  });

  it.each(scheduled)('%s (its live alias) runs at the topology rate with its retry policy', (functionId, trigger) => {
    // Prepare
    const alias = liveAliasRefs(synth, functionId).arn;
    const schedules = ofType('AWS::Scheduler::Schedule').filter(([, s]) => sameRef(s.Properties?.Target?.Arn, alias));

    // Assess
    expect(schedules).toHaveLength(1);
    const props = schedules[0]![1].Properties!;
    expect(props.ScheduleExpression).toBe(
      `rate(${trigger.everyMinutes} minute${trigger.everyMinutes === 1 ? '' : 's'})`,
    );
    expect(props.State).toBe('ENABLED');
    expect(props.Target.RetryPolicy).toEqual({
      MaximumRetryAttempts: trigger.retryAttempts,
      MaximumEventAgeInSeconds: trigger.maxEventAgeSeconds,
    });
  });

  it.each(scheduled)(
    "%s runs asynchronously with the topology's retries, event age and on-failure queue",
    (functionId, trigger) => {
      // Prepare
      const { stack } = synth;
      const functionLogicalId = logicalId(stack, stack.functions[functionId]);
      const configs = ofType('AWS::Lambda::EventInvokeConfig').filter(
        ([, c]) => JSON.stringify(c.Properties?.FunctionName) === JSON.stringify({ Ref: functionLogicalId }),
      );
      const aliasId = logicalId(stack, stack.functionAliases[functionId]);

      // Assess: on the live alias, which the schedule invokes
      expect(configs).toHaveLength(1);
      expect(configs[0]![1].Properties).toMatchObject({
        Qualifier: { 'Fn::Select': [7, { 'Fn::Split': [':', { Ref: aliasId }] }] },
        MaximumRetryAttempts: trigger.asyncInvoke.retryAttempts,
        MaximumEventAgeInSeconds: trigger.asyncInvoke.maxEventAgeSeconds,
        DestinationConfig: {
          OnFailure: {
            Destination: { 'Fn::GetAtt': [logicalId(stack, stack.queues[trigger.asyncInvoke.onFailure]), 'Arn'] },
          },
        },
      });
    },
  );
});

describe('raw-event delivery stream', () => {
  it('has the topology buffering, prefixes, compression and partition query', () => {
    // Prepare
    const streams = ofType('AWS::KinesisFirehose::DeliveryStream');
    const destination = streams[0]![1].Properties!.ExtendedS3DestinationConfiguration;
    const processor = destination.ProcessingConfiguration.Processors.find(
      (p: { Type: string }) => p.Type === 'MetadataExtraction',
    );
    const parameter = (name: string) =>
      processor.Parameters.find((p: { ParameterName: string }) => p.ParameterName === name)?.ParameterValue as string;
    const expectedQuery =
      '{' +
      rawEvents.partitionKeys
        .map((key) => `"${key.name}":.${key.field}${key.slice ? `[${key.slice[0]}:${key.slice[1]}]` : ''}`)
        .join(',') +
      '}';

    // Assess
    expect(streams).toHaveLength(1);
    expect(destination.BufferingHints).toEqual({
      IntervalInSeconds: settings.lakeBuffering.intervalSeconds,
      SizeInMBs: settings.lakeBuffering.sizeMiB,
    });
    expect(destination.Prefix).toBe(rawEvents.prefixTemplate.replaceAll(/\{(\w+)\}/g, '!{partitionKeyFromQuery:$1}'));
    expect(destination.ErrorOutputPrefix).toBe(rawEvents.errorPrefix);
    expect(destination.CompressionFormat).toBe(rawEvents.compression);
    expect(destination.FileExtension).toBe(rawEvents.fileExtension);
    expect(destination.DynamicPartitioningConfiguration).toEqual({ Enabled: true });
    expect(parameter('MetadataExtractionQuery')).toBe(expectedQuery);
  });

  it('is the stream the lake router writes to', () => {
    // Prepare
    const { stack } = synth;
    const streamId = stack.getLogicalId(stack.lake.deliveryStream);
    const writers = functionEntries.filter(([, spec]) => spec.access.rawEvents).map(([functionId]) => functionId);

    // Assess
    expect(writers.length).toBeGreaterThan(0);
    for (const functionId of writers) {
      const roleId = resource(logicalId(stack, stack.functions[functionId])).Role['Fn::GetAtt'][0] as string;
      const policy = ofType('AWS::IAM::Policy').find(([, p]) =>
        p.Properties!.Roles.some((r: { Ref: string }) => r.Ref === roleId),
      );
      expect(policy?.[1].Properties!.PolicyDocument.Statement).toContainEqual({
        Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [streamId, 'Arn'] },
      });
    }
  });
});

describe('API', () => {
  it('has one method per topology route, authorized as the route says', () => {
    // Prepare
    const methods = ofType('AWS::ApiGateway::Method').filter(([, m]) => m.Properties!.HttpMethod !== 'OPTIONS');
    const pathOf = (resourceId: string): string => {
      const props = resource(resourceId);
      const parent = props.ParentId?.Ref as string | undefined;
      return `${parent ? pathOf(parent) : ''}/${props.PathPart}`;
    };
    const synthesized = methods.map(([, m]) => ({
      method: m.Properties!.HttpMethod as string,
      path: m.Properties!.ResourceId?.Ref ? pathOf(m.Properties!.ResourceId.Ref) : '/',
      authorizationType: m.Properties!.AuthorizationType as string,
    }));
    const expected = routes.map((route) => ({
      method: route.method,
      path: route.path,
      authorizationType: route.auth === 'apiKey' ? 'CUSTOM' : 'NONE',
    }));
    const authorizerAlias = liveAliasRefs(synth, apiSpec.authorizerFunction).arn;

    // Assess
    expect(synthesized).toEqual(expect.arrayContaining(expected));
    expect(synthesized).toHaveLength(expected.length);
    synth.template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      AuthorizerResultTtlInSeconds: apiSpec.gatewayAuthorizerCacheTtlSeconds,
      AuthorizerUri: { 'Fn::Join': ['', Match.arrayWith([authorizerAlias])] },
    });
  });

  it("throttles the stage as the stage's settings say", () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: settings.throttling.rateLimit,
          ThrottlingBurstLimit: settings.throttling.burstLimit,
        }),
      ],
    });
  });
});
