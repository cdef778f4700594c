import {
  deploymentConfigName,
  stageSettings,
  type PromotedStage,
  type StageSettings,
} from '../../functions/declaration/stages';
import { functions as functionSpecs, routes, type FunctionId } from '../../functions/declaration/topology';
import { apiFacingFunctions, MAX_ALARMS_PER_DEPLOYMENT_GROUP } from '../../lib/constructs/progressive-delivery';
import { liveAliasRefs, logicalId, removeAssembly, synthesize, type Synthesized } from './synth';

/**
 * Stages and progressive delivery: every function runs behind a `live` alias that everything invokes and that
 * CodeDeploy shifts with the stage's deployment settings, rolled back by its alarms; and the promoted stages differ
 * as `functions/declaration/stages.ts` says. One synthesis per stage (functions not bundled: the template is what
 * counts here), shared by every test below.
 */

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const ALARM_EMAIL = 'oncall@example.com';
const compared: PromotedStage[] = ['dev', 'prod'];
const synths = {} as Record<PromotedStage, Synthesized>;
const functionIds = Object.keys(functionSpecs) as FunctionId[];

beforeAll(() => {
  // dev with `-c alarmEmail`, prod without: the context overrides the stage's address.
  synths.dev = synthesize('dev', { context: { ...NO_BUNDLING, alarmEmail: ALARM_EMAIL } });
  synths.prod = synthesize('prod', { context: NO_BUNDLING });
});
afterAll(() => {
  for (const stage of compared) removeAssembly(synths[stage]);
});

const ofType = (synth: Synthesized, type: string) =>
  Object.entries(synth.resources).filter(([, resource]) => resource.Type === type);

/** Every way the template names some function's live alias. */
const aliasRefs = (synth: Synthesized) =>
  functionIds.flatMap((functionId) => {
    const refs = liveAliasRefs(synth, functionId);
    return [JSON.stringify(refs.arn), JSON.stringify(refs.qualifiedName)];
  });

/** The parts of an `Fn::Join` URI (the invocation URI of a Lambda integration or authorizer). */
const uriParts = (uri: { 'Fn::Join': [string, unknown[]] }) => uri['Fn::Join'][1];
/** The invocation URIs of the API's Lambda proxy integrations, one per method. */
const integrationUris = (synth: Synthesized) =>
  ofType(synth, 'AWS::ApiGateway::Method')
    .filter(([, method]) => method.Properties!.Integration?.Type === 'AWS_PROXY')
    .map(([, method]) => method.Properties!.Integration.Uri as { 'Fn::Join': [string, unknown[]] });

describe.each(compared)('%s: every function behind a live alias that CodeDeploy shifts', (stage) => {
  const settings: StageSettings = stageSettings[stage];

  it.each(functionIds)('%s has a live alias on its current version; replaced versions are deleted', (functionId) => {
    // Prepare
    const synth = synths[stage];
    const functionRef = { Ref: logicalId(synth.stack, synth.stack.functions[functionId]) };
    const alias = synth.resources[logicalId(synth.stack, synth.stack.functionAliases[functionId])]!;
    const versionId = alias.Properties!.FunctionVersion['Fn::GetAtt'][0] as string;

    // Assess
    expect(alias.Properties).toMatchObject({ Name: 'live', FunctionName: functionRef });
    expect(synth.resources[versionId]).toMatchObject({
      Type: 'AWS::Lambda::Version',
      DeletionPolicy: 'Delete',
      Properties: { FunctionName: functionRef },
    });
  });

  it.each(functionIds)("%s has a deployment group with the stage's config, rollback and alarms", (functionId) => {
    // Prepare
    const synth = synths[stage];
    const aliasId = logicalId(synth.stack, synth.stack.functionAliases[functionId]);
    const functionRef = { Ref: logicalId(synth.stack, synth.stack.functions[functionId]) };
    const groupId = logicalId(synth.stack, synth.stack.delivery.groups[functionId]);
    const group = synth.resources[groupId]!.Properties!;
    const alarms = (group.AlarmConfiguration.Alarms as { Name: { Ref: string } }[]).map(
      ({ Name }) => synth.resources[Name.Ref]!.Properties!,
    );
    const alarmOn = (metricName: string) => alarms.filter((alarm) => alarm.MetricName === metricName);
    const api = apiFacingFunctions().has(functionId);

    // Assess: the alias is updated through this group
    expect(synth.resources[aliasId]!.UpdatePolicy).toEqual({
      CodeDeployLambdaAliasUpdate: {
        ApplicationName: { Ref: logicalId(synth.stack, synth.stack.delivery.application) },
        DeploymentGroupName: { Ref: groupId },
      },
    });
    expect(group.DeploymentConfigName).toBe(deploymentConfigName(settings.deployment.traffic));
    expect(group.AutoRollbackConfiguration).toEqual({
      Enabled: true,
      Events: expect.arrayContaining(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM']),
    });
    expect(group.AlarmConfiguration.Enabled).toBe(true);
    expect(alarms.length).toBeLessThanOrEqual(MAX_ALARMS_PER_DEPLOYMENT_GROUP);
    // Errors and throttles of the alias (both versions while traffic is split), at the stage's thresholds.
    const aliasDimensions = [
      { Name: 'FunctionName', Value: functionRef },
      { Name: 'Resource', Value: { 'Fn::Join': ['', [functionRef, ':live']] } },
    ];
    expect(alarmOn('Errors')).toEqual([
      expect.objectContaining({ Dimensions: aliasDimensions, Threshold: settings.alarms.functionErrorsPerMinute }),
    ]);
    expect(alarmOn('Throttles')).toEqual([
      expect.objectContaining({ Dimensions: aliasDimensions, Threshold: settings.alarms.functionThrottlesPerMinute }),
    ]);
    // Behind the API: its 5xx and p99 latency too.
    const apiDimensions = [
      { Name: 'ApiName', Value: `loyalty-ledger-${stage}` },
      { Name: 'Stage', Value: { Ref: logicalId(synth.stack, synth.stack.api.restApi.deploymentStage) } },
    ];
    expect(alarmOn('5XXError')).toEqual(
      api
        ? [expect.objectContaining({ Dimensions: apiDimensions, Threshold: settings.alarms.api5xxPerFiveMinutes })]
        : [],
    );
    expect(alarmOn('Latency')).toEqual(
      api
        ? [
            expect.objectContaining({
              Dimensions: apiDimensions,
              ExtendedStatistic: 'p99',
              Threshold: settings.alarms.apiLatencyP99Ms,
            }),
          ]
        : [],
    );
    expect(alarms).toHaveLength(api ? 4 : 2);
  });

  it('puts the API function, its authorizer and the token endpoint behind the API alarms', () => {
    expect([...apiFacingFunctions()].sort()).toEqual(['api', 'authorizer', 'token']);
  });

  it('invokes only aliases: event-source mappings, schedules, async configs, API integrations, permissions', () => {
    // Prepare
    const synth = synths[stage];
    const aliases = aliasRefs(synth);
    const namesAlias = (expression: unknown) => aliases.includes(JSON.stringify(expression));
    const integrations = integrationUris(synth);
    const authorizers = ofType(synth, 'AWS::ApiGateway::Authorizer').map(([, authorizer]) =>
      uriParts(authorizer.Properties!.AuthorizerUri).find((part) => namesAlias(part)),
    );
    const mappings = ofType(synth, 'AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties!.FunctionName);
    const targets = ofType(synth, 'AWS::Scheduler::Schedule').map(([, s]) => s.Properties!.Target.Arn);
    const qualifiers = ofType(synth, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties!.Qualifier);
    const permissions = ofType(synth, 'AWS::Lambda::Permission').map(([, p]) => p.Properties!.FunctionName);

    // Assess
    expect(integrations).toHaveLength(routes.length);
    expect(integrations.filter((uri) => !uriParts(uri).some((part) => namesAlias(part)))).toEqual([]);
    expect(authorizers).toEqual([expect.anything()]);
    expect(mappings.length).toBeGreaterThan(0);
    expect(mappings.filter((name) => !namesAlias(name))).toEqual([]);
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((arn) => !namesAlias(arn))).toEqual([]);
    expect(qualifiers.length).toBe(targets.length);
    expect(qualifiers.filter((qualifier) => !JSON.stringify(qualifier).includes('Live'))).toEqual([]);
    expect(permissions.length).toBeGreaterThan(0);
    expect(permissions.filter((name) => !namesAlias(name))).toEqual([]);
  });

  it('keeps each event-source mapping under its function, so the move to the alias updates it in place', () => {
    // Prepare: a new logical id would be a new mapping, reading the table stream again from its trim horizon
    const synth = synths[stage];
    const mappingIds = ofType(synth, 'AWS::Lambda::EventSourceMapping').map(([id]) => id);
    const underFunctions = functionIds.flatMap((functionId) =>
      ['TableStream', 'Queue'].flatMap((child) => {
        const mapping = synth.stack.functions[functionId].node.tryFindChild(child);
        return mapping ? [logicalId(synth.stack, mapping)] : [];
      }),
    );

    // Assess
    expect(mappingIds.length).toBeGreaterThan(0);
    expect(underFunctions.sort()).toEqual(mappingIds.sort());
  });

  it('routes each API method to the alias of its own function', () => {
    // Prepare
    const synth = synths[stage];
    const byFunction = new Map(functionIds.map((id) => [JSON.stringify(liveAliasRefs(synth, id).arn), id]));
    const targeted = integrationUris(synth).map((uri) =>
      uriParts(uri)
        .map((part) => byFunction.get(JSON.stringify(part)))
        .find((functionId) => functionId !== undefined),
    );

    // Assess
    expect(targeted.sort()).toEqual(routes.map((route) => route.function).sort());
  });
});

describe('the promoted stages differ as stages.ts says (dev and prod synthesized)', () => {
  const { dev, prod } = stageSettings;
  const both = (read: (synth: Synthesized, settings: StageSettings) => unknown) =>
    compared.map((stage) => read(synths[stage], stageSettings[stage]));

  it('keep logs for their own retention', () => {
    // Act
    const retentions = both((synth) => [
      ...new Set(ofType(synth, 'AWS::Logs::LogGroup').map(([, group]) => group.Properties!.RetentionInDays)),
    ]);

    // Assess
    expect(retentions).toEqual([[dev.logRetentionDays], [prod.logRetentionDays]]);
    expect(dev.logRetentionDays).not.toBe(prod.logRetentionDays);
  });

  it("give every function the stage's log level", () => {
    // Act
    const levels = both((synth) => [
      ...new Set(
        functionIds.map(
          (functionId) =>
            synth.resources[logicalId(synth.stack, synth.stack.functions[functionId])]!.Properties!.Environment
              .Variables.POWERTOOLS_LOG_LEVEL,
        ),
      ),
    ]);

    // Assess
    expect(levels).toEqual([[dev.logLevel], [prod.logLevel]]);
    expect(dev.logLevel).not.toBe(prod.logLevel);
  });

  it('buffer the lake and throttle the API as their settings say', () => {
    // Act
    const buffering = both(
      (synth) =>
        ofType(synth, 'AWS::KinesisFirehose::DeliveryStream')[0]![1].Properties!.ExtendedS3DestinationConfiguration
          .BufferingHints,
    );
    const throttles = both((synth) => {
      const settings = ofType(synth, 'AWS::ApiGateway::Stage')[0]![1].Properties!.MethodSettings[0];
      return { rateLimit: settings.ThrottlingRateLimit, burstLimit: settings.ThrottlingBurstLimit };
    });

    // Assess
    expect(buffering).toEqual(
      [dev, prod].map((s) => ({
        IntervalInSeconds: s.lakeBuffering.intervalSeconds,
        SizeInMBs: s.lakeBuffering.sizeMiB,
      })),
    );
    expect(throttles).toEqual([dev.throttling, prod.throttling]);
    expect(buffering[0]).not.toEqual(buffering[1]);
    expect(throttles[0]).not.toEqual(throttles[1]);
  });

  it('remove data stores with a dev stack, and keep (and protect) them in prod', () => {
    // Prepare: the table, every KMS key of the data, every bucket and queue
    const dataStores = (synth: Synthesized) =>
      ['AWS::DynamoDB::Table', 'AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::SQS::Queue'].flatMap((type) =>
        ofType(synth, type)
          // The alarm topic's key is not data: it goes with the stack in every stage.
          .filter(([id]) => id !== logicalId(synth.stack, synth.stack.observability.alarmTopic.masterKey!))
          .map(([id, resource]) => `${id} ${resource.DeletionPolicy}`),
      );

    // Act
    const [devStores, prodStores] = both((synth) => dataStores(synth)) as [string[], string[]];
    const protection = both(
      (synth) => ofType(synth, 'AWS::DynamoDB::Table')[0]![1].Properties!.DeletionProtectionEnabled,
    );
    const emptied = both((synth) => ofType(synth, 'Custom::S3AutoDeleteObjects').length);

    // Assess
    expect([dev.removalPolicy, prod.removalPolicy]).toEqual(['destroy', 'retain']);
    expect(devStores.length).toBeGreaterThan(10);
    expect(devStores.filter((entry) => !entry.endsWith(' Delete'))).toEqual([]);
    expect(prodStores.filter((entry) => !entry.endsWith(' Retain'))).toEqual([]);
    expect(prodStores).toHaveLength(devStores.length);
    expect(protection).toEqual([false, true]);
    // Buckets with objects cannot be deleted: the dev stack empties its three first; prod never does.
    expect(emptied).toEqual([3, 0]);
  });

  it('release at once in dev and by canary in prod, rolled back on alarms in both', () => {
    // Act
    const configs = both((synth) => [
      ...new Set(
        ofType(synth, 'AWS::CodeDeploy::DeploymentGroup').map(([, group]) => group.Properties!.DeploymentConfigName),
      ),
    ]);

    // Assess
    expect(configs).toEqual([
      ['CodeDeployDefault.LambdaAllAtOnce'],
      ['CodeDeployDefault.LambdaCanary10Percent5Minutes'],
    ]);
    expect(Object.values(stageSettings).every((settings) => settings.deployment.rollbackOnAlarm)).toBe(true);
  });

  it('send alarms to `-c alarmEmail` when given', () => {
    // Act
    const subscriptions = both((synth) =>
      ofType(synth, 'AWS::SNS::Subscription').map(([, s]) => [s.Properties!.Protocol, s.Properties!.Endpoint]),
    );

    // Assess: prod declares no address of its own, so only the dev stack (given one) has a subscription
    expect(prod.alarmEmail).toBeUndefined();
    expect(subscriptions).toEqual([[['email', ALARM_EMAIL]], []]);
  });
});

describe('stage settings', () => {
  it('name a deployment configuration CodeDeploy predefines for Lambda', () => {
    expect(deploymentConfigName({ kind: 'linear', percent: 10, everyMinutes: 1 })).toBe(
      'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    );
    expect(deploymentConfigName({ kind: 'linear', percent: 10, everyMinutes: 3 })).toBe(
      'CodeDeployDefault.LambdaLinear10PercentEvery3Minutes',
    );
    expect(deploymentConfigName({ kind: 'canary', percent: 10, minutes: 30 })).toBe(
      'CodeDeployDefault.LambdaCanary10Percent30Minutes',
    );
  });

  it('keep lake buffering within what dynamic partitioning accepts', () => {
    for (const settings of Object.values(stageSettings)) {
      expect(settings.lakeBuffering.intervalSeconds).toBeGreaterThanOrEqual(60);
      expect(settings.lakeBuffering.intervalSeconds).toBeLessThanOrEqual(900);
      expect(settings.lakeBuffering.sizeMiB).toBeGreaterThanOrEqual(64);
      expect(settings.lakeBuffering.sizeMiB).toBeLessThanOrEqual(128);
    }
  });
});
