import { fileURLToPath } from 'node:url';
import { Aws, Duration, Lazy, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions, type NagPackSuppression } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  functions as functionSpecs,
  lambdaArchitecture,
  lambdaRuntime,
  queues as queueSpecs,
  type DynamoStreamTrigger,
  type FunctionId,
  type FunctionSpec,
  type QueueId,
  type ScheduleTrigger,
  type SqsTrigger,
  type TokenKeySlot,
  platformEnvironment,
  inboundQueuePrefix,
  tokenSigningKeys,
  resolveEnvironment,
  serviceName,
} from '../../functions/declaration/topology';
import { nodeRuntime } from '../../functions/declaration/runtime';
import {
  executionRolePolicy,
  MAPPING_UNSCOPED_ACTIONS,
  resolvePolicy,
  STREAM_LIST_ACTIONS,
  TRACE_WRITE_ACTIONS,
  type PolicyStatement,
} from '../../functions/declaration/iam-policy';
import { logRetention } from './log-retention';

/** Topology entries are relative to the repository root. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The service name every function logs under (Powertools adds the function name itself). */
export const SERVICE_NAME = serviceName;

/**
 * The alias every caller invokes (API Gateway, the authorizer, event-source mappings, schedules): CodeDeploy moves it
 * from the running version to the new one as the stage's deployment settings say (progressive-delivery.ts).
 */
export const LIVE_ALIAS = 'live';

// Middy and other dependencies are ESM-only and some bundled CommonJS still calls require().
const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export interface TopologyFunctionsProps {
  readonly stage: string;
  /** The stage's log retention (`stages.ts`). */
  readonly logRetentionDays: number;
  readonly table: dynamodb.Table;
  readonly queues: Record<QueueId, sqs.IQueue>;
  /** The key every queue is encrypted with: senders and receivers are granted it as the declaration says. */
  readonly queueKey: kms.IKey;
  /** The key that seals webhook signing secrets: functions that seal or open them are granted it as declared. */
  readonly secretsKey: kms.IKey;
  /** Where tenants are throttled (`api-gateway:<rest api id>/<stage>`); lazy, as the API is built after these. */
  readonly tenantThrottling: string;
  readonly rawEvents: { readonly deliveryStreamName: string; readonly deliveryStreamArn: string };
  /** The lake bucket and its key: scheduled exports put files under `exports/` there. */
  readonly lake: { readonly bucket: s3.IBucket; readonly key: kms.IKey };
  /** The imports bucket: the API signs upload URLs for it, the import runner reads inputs and writes reports. */
  readonly imports: { readonly bucket: s3.IBucket; readonly key: kms.IKey };
  /** The access-token signing keys by slot, and the active slot's key. */
  readonly tokenKeys: { readonly bySlot: Record<TokenKeySlot, kms.IKey>; readonly active: kms.IKey };
}

function runtime(): lambda.Runtime {
  const found = lambda.Runtime.ALL.find((candidate) => candidate.name === lambdaRuntime);
  if (!found || found.family !== lambda.RuntimeFamily.NODEJS)
    throw new Error(`Unsupported Lambda runtime '${lambdaRuntime}'`);
  return found;
}

function architecture(): lambda.Architecture {
  const found = [lambda.Architecture.ARM_64, lambda.Architecture.X86_64].find(
    (candidate) => candidate.name === lambdaArchitecture,
  );
  if (!found) throw new Error(`Unsupported Lambda architecture '${lambdaArchitecture}'`);
  return found;
}

/** How every function is bundled; the target follows the one Node.js declaration (`runtime.ts`). */
export const functionBundling: BundlingOptions = {
  format: OutputFormat.ESM,
  target: nodeRuntime.esbuildTarget,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  // The SDK version the code was tested with ships with the code, not the runtime's copy.
  externalModules: [],
  logLevel: LogLevel.WARNING,
};

/**
 * Every function of the topology: bundled from its entry, configured from its spec, given exactly
 * the access its spec declares and wired to its trigger with the trigger's settings.
 */
export class TopologyFunctions extends Construct {
  readonly byId: Record<FunctionId, NodejsFunction>;
  /** Each function's `live` alias: what everything invokes, and what a release shifts. */
  readonly aliases: Record<FunctionId, lambda.Alias>;
  /** Each function's own log group (metric filters on the functions' structured logs attach here). */
  readonly logGroups: Record<FunctionId, logs.LogGroup>;
  private readonly props: TopologyFunctionsProps;
  /** Known once the API exists (it is built from these functions): see `useApiBaseUrl`. */
  private apiBaseUrl?: string;

  constructor(scope: Construct, id: string, props: TopologyFunctionsProps) {
    super(scope, id);
    this.props = props;
    const built = {} as Record<FunctionId, NodejsFunction>;
    const logGroups = {} as Record<FunctionId, logs.LogGroup>;
    const aliases = {} as Record<FunctionId, lambda.Alias>;
    for (const [functionId, spec] of Object.entries(functionSpecs) as [FunctionId, FunctionSpec][]) {
      const logGroup = new logs.LogGroup(this, `${spec.id}Logs`, { retention: logRetention(props.logRetentionDays) });
      const fn = this.buildFunction(spec, logGroup);
      this.grantAccess(fn, spec, logGroup);
      // Triggers invoke the alias, never the function itself: otherwise a canary would shift none of their traffic.
      const alias = new lambda.Alias(this, `${spec.id}Live`, { aliasName: LIVE_ALIAS, version: fn.currentVersion });
      if (spec.trigger?.kind === 'dynamodb-stream') this.addStreamTrigger(fn, alias, spec.trigger);
      if (spec.trigger?.kind === 'sqs') this.addQueueTrigger(fn, alias, spec, spec.trigger);
      if (spec.trigger?.kind === 'schedule') this.addSchedule(alias, spec, spec.trigger);
      built[functionId] = fn;
      logGroups[functionId] = logGroup;
      aliases[functionId] = alias;
    }
    this.byId = built;
    this.logGroups = logGroups;
    this.aliases = aliases;
  }

  /**
   * The API's public base URL, which functions name as the issuer of access tokens. Set after the API is built:
   * the functions' environment reads it lazily at synthesis.
   */
  useApiBaseUrl(url: string): void {
    this.apiBaseUrl = url;
  }

  private buildFunction(spec: FunctionSpec, logGroup: logs.LogGroup): NodejsFunction {
    // An own role instead of the managed basic-execution policy: it may write to its log group only.
    const role = new iam.Role(this, `${spec.id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${spec.id}`,
    });

    const lambdaRuntimeValue = runtime();
    return new NodejsFunction(this, spec.id, {
      entry: `${REPO_ROOT}${spec.entry}`,
      handler: spec.handler,
      description: spec.description,
      runtime: lambdaRuntimeValue,
      architecture: architecture(),
      timeout: Duration.seconds(spec.timeoutSeconds),
      memorySize: spec.memoryMiB,
      role,
      logGroup,
      environment: this.environment(spec),
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      bundling: functionBundling,
      // Lambda's segments for every invocation; CDK also grants the X-Ray writes, which the declaration
      // declares too (iam-drift), so the role holds nothing undeclared.
      tracing: lambda.Tracing.ACTIVE,
      // A release publishes a version per changed function. The one it replaces is deleted once the stack update
      // has succeeded (CloudFormation's clean-up, after CodeDeploy has moved the alias), so versions do not pile up
      // against the region's 75 GB code storage; rolling back later is deploying the previous commit again.
      currentVersionOptions: { removalPolicy: RemovalPolicy.DESTROY },
    });
  }

  private environment(spec: FunctionSpec): Record<string, string> {
    const platform = platformEnvironment(this.props.stage);
    const resolved = resolveEnvironment(spec, {
      table: this.props.table.tableName,
      queueUrl: (queue) => this.props.queues[queue].queueUrl,
      rawEventsStream: this.props.rawEvents.deliveryStreamName,
      lakeBucket: this.props.lake.bucket.bucketName,
      importsBucket: this.props.imports.bucket.bucketName,
      secretsKey: this.props.secretsKey.keyArn,
      tenantThrottling: this.props.tenantThrottling,
      apiBaseUrl: Lazy.string({
        produce: () => {
          if (!this.apiBaseUrl) throw new Error('TopologyFunctions: useApiBaseUrl was never called');
          return this.apiBaseUrl;
        },
      }),
      tokenSigningKey: this.props.tokenKeys.active.keyArn,
      tokenPublicKeys: tokenSigningKeys.slots.map((slot) => this.props.tokenKeys.bySlot[slot].keyArn).join(','),
      // Read at synthesis: the function named may be built after this one.
      functionArn: (id) => Lazy.string({ produce: () => this.aliases[id].functionArn }),
    });
    for (const name of Object.keys(resolved)) {
      if (name in platform) throw new Error(`${spec.id} may not override the platform variable ${name}`);
    }
    return { ...platform, ...resolved };
  }

  /**
   * Grants the role exactly the statements `functions/declaration/iam-policy.ts` declares for the function (the
   * twin enforces the same ones). The event sources below are wired without CDK's own grants, so
   * nothing reaches the role but the declaration.
   */
  private grantAccess(fn: NodejsFunction, spec: FunctionSpec, logGroup: logs.LogGroup): void {
    const { table, queues, queueKey, secretsKey, rawEvents } = this.props;
    if (!table.encryptionKey || !table.tableStreamArn)
      throw new Error('The ledger table must have its own key and a stream');
    const role = executionRole(fn);
    const declared: PolicyStatement[] = executionRolePolicy(spec);
    const resolved = resolvePolicy(declared, {
      tableArn: table.tableArn,
      tableStreamArn: table.tableStreamArn,
      tableKeyArn: table.encryptionKey.keyArn,
      queueKeyArn: queueKey.keyArn,
      secretsKeyArn: secretsKey.keyArn,
      apiGatewayArn: `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}::`,
      queueArn: (queue) => queues[queue].queueArn,
      rawEventsStreamArn: rawEvents.deliveryStreamArn,
      logGroupArn: logGroup.logGroupArn,
      tokenKeyArn: (slot) => this.props.tokenKeys.bySlot[slot].keyArn,
      activeTokenKeyArn: this.props.tokenKeys.active.keyArn,
      lakeBucketArn: this.props.lake.bucket.bucketArn,
      lakeKeyArn: this.props.lake.key.keyArn,
      inboundQueueArns:
        `arn:${Aws.PARTITION}:sqs:${Aws.REGION}:${Aws.ACCOUNT_ID}:` +
        `${inboundQueuePrefix(this.props.stage)}-inbound-*`,
      eventSourceMappingArns: `arn:${Aws.PARTITION}:lambda:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-source-mapping:*`,
      functionArn: (id) => Lazy.string({ produce: () => this.byId[id].functionArn }),
      importsBucketArn: this.props.imports.bucket.bucketArn,
      importsKeyArn: this.props.imports.key.keyArn,
    });
    for (const statement of resolved) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [...statement.actions],
          resources: [...statement.resources],
          ...(statement.conditions ? { conditions: structuredClone(statement.conditions) } : {}),
        }),
      );
    }
    // Each suppression is scoped to the role's one policy and to the finding it names (appliesTo),
    // so a new wildcard anywhere else on the role is still reported.
    const suppressions: NagPackSuppression[] = [];
    const declares = (kind: string) =>
      declared.some((statement) => statement.resources.some((resource) => resource.kind === kind));
    if (
      declared.some((statement) =>
        statement.actions.some((action) => action.startsWith('kms:') && action.endsWith('*')),
      )
    ) {
      suppressions.push({
        id: 'AwsSolutions-IAM5',
        reason:
          'Encrypt/decrypt on the table key uses the kms:ReEncrypt* and kms:GenerateDataKey* action ' +
          'families, which DynamoDB uses for writes; they are limited to this one key.',
        appliesTo: ['Action::kms:ReEncrypt*', 'Action::kms:GenerateDataKey*'],
      });
    }
    if (declares('tableIndexes')) {
      suppressions.push({
        id: 'AwsSolutions-IAM5',
        reason: 'Queries may use any secondary index of this one table; index ARNs end in a wildcard.',
        appliesTo: [{ regex: '/^Resource::<.+\\.Arn>\\/index\\/\\*$/' }],
      });
    }
    // Resource * only where IAM has nothing narrower; the reason names each action the role holds on it.
    const onAnyResource = declared
      .filter((statement) => statement.resources.some((resource) => resource.kind === 'any'))
      .flatMap((statement) => statement.actions);
    const anyResourceReasons = [
      ...(onAnyResource.some((action) => TRACE_WRITE_ACTIONS.includes(action))
        ? [
            'Active tracing sends segments with xray:PutTraceSegments and xray:PutTelemetryRecords, which support no ' +
              'resource-level permissions (resource must be *); they write traces only.',
          ]
        : []),
      ...(onAnyResource.some((action) => MAPPING_UNSCOPED_ACTIONS.includes(action))
        ? [
            "Tenants' inbound queues are mapped to the inbound worker at run time with " +
              'lambda:CreateEventSourceMapping and found with lambda:ListEventSourceMappings, which support no ' +
              'resource-level permissions (resource must be *); creating is limited to that one function ' +
              '(lambda:FunctionArn).',
          ]
        : []),
      ...(onAnyResource.some((action) => STREAM_LIST_ACTIONS.includes(action))
        ? [
            'The DynamoDB stream event source needs dynamodb:ListStreams, which supports no resource-level ' +
              "permissions (resource must be *); reading records is limited to this table's stream.",
          ]
        : []),
    ];
    const unexplained = onAnyResource.filter(
      (action) =>
        !TRACE_WRITE_ACTIONS.includes(action) &&
        !STREAM_LIST_ACTIONS.includes(action) &&
        !MAPPING_UNSCOPED_ACTIONS.includes(action),
    );
    if (unexplained.length > 0)
      throw new Error(`${spec.id}: give the reason for ${unexplained.join(', ')} on resource * here`);
    if (anyResourceReasons.length > 0) {
      suppressions.push({ id: 'AwsSolutions-IAM5', reason: anyResourceReasons.join(' '), appliesTo: ['Resource::*'] });
    }
    if (declares('lakeExports')) {
      suppressions.push({
        id: 'AwsSolutions-IAM5',
        reason:
          'Export files get a key per tenant, export and window, made at run time: s3:PutObject is granted on the ' +
          "lake bucket's exports/ prefix only, never on the raw events or another bucket.",
        appliesTo: [{ regex: '/^Resource::<.+\\.Arn>\\/exports\\/\\*$/' }],
      });
    }
    if (declares('importObjects')) {
      suppressions.push({
        id: 'AwsSolutions-IAM5',
        reason:
          'Import files get a key per tenant and import, made at run time: s3:GetObject and s3:PutObject are ' +
          "granted on the imports bucket's imports/ prefix only.",
        appliesTo: [{ regex: '/^Resource::<.+\\.Arn>\\/imports\\/\\*$/' }],
      });
    }
    if (declares('usagePlans') || declares('apiKeys')) {
      suppressions.push({
        id: 'AwsSolutions-IAM5',
        reason:
          'Usage plans and API keys are created at run time (one plan per distinct tenant limits, one key per ' +
          'tenant), so their ids are not known to the template; ARNs of API Gateway resources name no API, so ' +
          "the grant covers the region's usage plans and keys, read, created and moved, never changed.",
        appliesTo: [
          { regex: '/^Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::\\/(usageplans|apikeys)\\*$/' },
        ],
      });
    }
    if (declares('inboundQueues')) {
      suppressions.push({
        id: 'AwsSolutions-IAM5',
        reason:
          "Tenants' inbound queues are made at run time, one per tenant, so their names are not known to the " +
          "template: the grant covers the stage's <prefix>-inbound-* queues only, never the platform's own queues.",
        appliesTo: [
          { regex: '/^Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:[a-z0-9-]+-inbound-\\*$/' },
        ],
      });
    }
    if (declares('eventSourceMappings')) {
      suppressions.push({
        id: 'AwsSolutions-IAM5',
        reason:
          'Event-source mappings are named by UUIDs Lambda gives them at run time; deleting is limited to the ' +
          "inbound worker's mappings (lambda:FunctionArn), reading names nothing but the mappings.",
        appliesTo: ['Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:event-source-mapping:*'],
      });
    }
    if (suppressions.length > 0) NagSuppressions.addResourceSuppressions(defaultPolicy(role), suppressions);
  }

  /**
   * The stream mapping with the trigger's settings. Wired as a plain mapping, not a
   * `DynamoEventSource`, because that one grants the stream read and the on-failure send itself:
   * the role's grants come from the declaration only. The mapping is the function's child (as it was before aliases)
   * pointed at the alias: CloudFormation then updates the existing mapping in place, keeping its stream position,
   * instead of a new one re-reading the stream from its trim horizon.
   */
  private addStreamTrigger(fn: NodejsFunction, alias: lambda.Alias, trigger: DynamoStreamTrigger): void {
    const failures = this.props.queues[trigger.onFailure];
    const streamArn = this.props.table.tableStreamArn;
    if (!streamArn) throw new Error('The ledger table must have a stream');
    new lambda.EventSourceMapping(fn, 'TableStream', {
      target: alias,
      eventSourceArn: streamArn,
      startingPosition: lambda.StartingPosition[trigger.startingPosition],
      batchSize: trigger.batchSize,
      maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
      bisectBatchOnError: trigger.bisectBatchOnError,
      retryAttempts: trigger.retryAttempts,
      maxRecordAge: Duration.seconds(trigger.maxRecordAgeSeconds),
      parallelizationFactor: trigger.parallelizationFactor,
      reportBatchItemFailures: trigger.reportBatchItemFailures,
      onFailure: { bind: () => ({ destination: failures.queueArn }) },
      filters: trigger.filterPatterns.map((pattern) => lambda.FilterCriteria.filter(pattern)),
    });
  }

  private addSchedule(fn: lambda.Alias, spec: FunctionSpec, trigger: ScheduleTrigger): void {
    // An own role per schedule: it may invoke this one function's live alias, nothing else.
    const role = new iam.Role(this, `${spec.id}ScheduleRole`, {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: `EventBridge Scheduler runs ${spec.id}`,
    });
    new Schedule(this, `${spec.id}Schedule`, {
      description: `Runs ${spec.id} every ${trigger.everyMinutes} minute(s)`,
      schedule: ScheduleExpression.rate(Duration.minutes(trigger.everyMinutes)),
      target: new LambdaInvoke(fn, {
        role,
        retryAttempts: trigger.retryAttempts,
        maxEventAge: Duration.seconds(trigger.maxEventAgeSeconds),
      }),
    });
    // On the alias, as the schedule invokes it (a function's own configuration covers unqualified calls only).
    // Explicit, not Lambda's defaults (2 retries over up to 6 hours, no destination). A plain destination, not
    // `SqsDestination`, which grants sending and kms:Encrypt, ReEncrypt*, GenerateDataKey* itself: grants come
    // from the declaration.
    const failures = this.props.queues[trigger.asyncInvoke.onFailure];
    fn.configureAsyncInvoke({
      retryAttempts: trigger.asyncInvoke.retryAttempts,
      maxEventAge: Duration.seconds(trigger.asyncInvoke.maxEventAgeSeconds),
      onFailure: { bind: () => ({ destination: failures.queueArn }) },
    });
  }

  private addQueueTrigger(fn: NodejsFunction, alias: lambda.Alias, spec: FunctionSpec, trigger: SqsTrigger): void {
    const queueSpec = queueSpecs[trigger.queue];
    // AWS guidance: visibility at least six times the function timeout, or messages are received twice.
    if (queueSpec.visibilityTimeoutSeconds < 6 * spec.timeoutSeconds) {
      throw new Error(
        `${queueSpec.id} visibility (${queueSpec.visibilityTimeoutSeconds} s) is below 6 × ${spec.id}'s timeout ` +
          `(${spec.timeoutSeconds} s)`,
      );
    }
    // FIFO event sources take no batching window; 0 means "none" and is left out.
    if (queueSpec.fifo && trigger.maxBatchingWindowSeconds > 0) {
      throw new Error(`${spec.id}: a FIFO queue trigger cannot have a batching window`);
    }
    // A plain mapping (not `SqsEventSource`, which grants consuming itself): grants come from the declaration. The
    // function's child pointed at the alias, as the stream mapping.
    new lambda.EventSourceMapping(fn, 'Queue', {
      target: alias,
      eventSourceArn: this.props.queues[trigger.queue].queueArn,
      batchSize: trigger.batchSize,
      maxBatchingWindow:
        trigger.maxBatchingWindowSeconds > 0 ? Duration.seconds(trigger.maxBatchingWindowSeconds) : undefined,
      reportBatchItemFailures: trigger.reportBatchItemFailures,
      maxConcurrency: trigger.maxConcurrency,
    });
  }
}

/** The role `buildFunction` gave the function: the declared grants and their suppressions land on it. */
function executionRole(fn: lambda.IFunction): iam.IRole {
  if (!fn.role) throw new Error(`${fn.node.path} has no execution role`);
  return fn.role;
}

/** The role's default policy, where its grants land: suppressions attach to it, not to the whole role. */
function defaultPolicy(role: iam.IRole): iam.Policy {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (!(policy instanceof iam.Policy)) throw new Error(`${role.node.path} has no default policy yet`);
  return policy;
}
