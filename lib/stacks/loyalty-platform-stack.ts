import { CfnOutput, Lazy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { stageSettingsFor, type StageSettings } from '../../functions/declaration/stages';
import type { FunctionId, QueueId, TokenKeySlot } from '../../functions/declaration/topology';
import { LedgerApi, type CustomDomain } from '../constructs/ledger-api';
import { LedgerTable } from '../constructs/ledger-table';
import { Observability } from '../constructs/observability';
import { RawEventsLake } from '../constructs/raw-events-lake';
import { ImportsBucket } from '../constructs/imports-bucket';
import { ProgressiveDelivery } from '../constructs/progressive-delivery';
import { notifySnowpipe } from '../constructs/snowpipe-notification';
import { TenantLakeAccess } from '../constructs/tenant-lake-access';
import type { LakeReader } from '../lake-readers';
import { SERVICE_NAME, TopologyFunctions } from '../constructs/topology-functions';
import { TopologyQueues } from '../constructs/topology-queues';
import { WebhookSecrets } from '../constructs/webhook-secrets';
import { TokenSigningKeys } from '../constructs/token-signing-keys';

export interface LoyaltyPlatformStackProps extends StackProps {
  readonly stage: string;
  /** Address that receives alarm notifications; default the stage's `alarmEmail` (stages.ts), if any. */
  readonly alarmEmail?: string;
  /** Whether the stack sets the region's API Gateway logging role (see `LedgerApiProps`); default true. */
  readonly manageApiGatewayAccount?: boolean;
  /** Optional custom domain for the API, served with a TLS 1.2 minimum. */
  readonly customDomain?: CustomDomain;
  /** The access-token key slot that signs (context `tokenSigningKeySlot`); default A. */
  readonly tokenSigningKeySlot?: TokenKeySlot;
  /** Snowflake's SQS queue for Snowpipe auto-ingest (context `snowpipeSqsArn`); none: no bucket notification. */
  readonly snowpipeSqsArn?: string;
  /** Tenants' data teams that may read their own lake prefixes (context `lakeReaders`); none by default. */
  readonly lakeReaders?: readonly LakeReader[];
}

/**
 * The whole platform in one stack (one `cdk deploy`, no cross-stack exports to untangle):
 * ledger table, queues, raw-event lake, the functions with their triggers, the API and the
 * alarms. Everything that the local twin also runs is built from
 * `functions/declaration/topology.ts`.
 */
export class LoyaltyPlatformStack extends Stack {
  readonly ledger: LedgerTable;
  readonly queues: Record<QueueId, sqs.Queue>;
  /** The customer-managed key every queue is encrypted with. */
  readonly queueKey: kms.Key;
  /** The customer-managed key that seals webhook signing secrets. */
  readonly secretsKey: kms.Key;
  readonly lake: RawEventsLake;
  /** Tenants' import files and their error reports. */
  readonly imports: ImportsBucket;
  readonly lakeAccess: TenantLakeAccess;
  readonly functions: Record<FunctionId, NodejsFunction>;
  /** Each function's `live` alias: everything invokes these, and releases shift them. */
  readonly functionAliases: Record<FunctionId, lambda.Alias>;
  /** What the stage's settings (stages.ts) made of this stack. */
  readonly settings: StageSettings;
  readonly delivery: ProgressiveDelivery;
  readonly functionLogGroups: Record<FunctionId, logs.LogGroup>;
  readonly api: LedgerApi;
  readonly tokenKeys: TokenSigningKeys;
  readonly observability: Observability;
  /** The API's public base URL as a stack output: the delivery pipeline's smoke step reads it after each deploy. */
  readonly apiBaseUrlOutput: CfnOutput;

  constructor(scope: Construct, id: string, props: LoyaltyPlatformStackProps) {
    super(scope, id, props);
    Tags.of(this).add('service', SERVICE_NAME);
    Tags.of(this).add('stage', props.stage);
    const settings = stageSettingsFor(props.stage);
    this.settings = settings;
    const { removalPolicy } = settings;

    this.ledger = new LedgerTable(this, 'Data', { removalPolicy });
    const queues = new TopologyQueues(this, 'Queues', { removalPolicy });
    this.queues = queues.byId;
    this.queueKey = queues.key;
    this.lake = new RawEventsLake(this, 'Lake', settings);
    if (props.snowpipeSqsArn) notifySnowpipe(this.lake.bucket, props.snowpipeSqsArn);
    this.lakeAccess = new TenantLakeAccess(this, 'LakeAccess', {
      bucket: this.lake.bucket,
      key: this.lake.key,
      readers: props.lakeReaders ?? [],
    });
    this.imports = new ImportsBucket(this, 'Imports', {
      removalPolicy,
      accessLogsBucket: this.lake.accessLogsBucket,
    });
    this.secretsKey = new WebhookSecrets(this, 'Webhooks', { removalPolicy }).key;
    this.tokenKeys = new TokenSigningKeys(this, 'TokenKeys', {
      stage: props.stage,
      activeSlot: props.tokenSigningKeySlot ?? 'A',
      removalPolicy,
    });
    const functions = new TopologyFunctions(this, 'Functions', {
      tokenKeys: this.tokenKeys,
      stage: props.stage,
      logRetentionDays: settings.logRetentionDays,
      table: this.ledger.table,
      queues: this.queues,
      queueKey: this.queueKey,
      secretsKey: this.secretsKey,
      // The API function keeps tenants in the usage plans of this API's stage; the API is built after the functions.
      tenantThrottling: Lazy.string({ produce: () => `api-gateway:${this.api.restApi.restApiId}/${props.stage}` }),
      rawEvents: this.lake,
      lake: this.lake,
      imports: this.imports,
    });
    this.functions = functions.byId;
    this.functionLogGroups = functions.logGroups;
    this.functionAliases = functions.aliases;
    this.api = new LedgerApi(this, 'Api', {
      stage: props.stage,
      functions: this.functionAliases,
      settings,
      manageAccountLoggingRole: props.manageApiGatewayAccount ?? true,
      customDomain: props.customDomain,
    });
    functions.useApiBaseUrl(this.api.publicBaseUrl);
    this.delivery = new ProgressiveDelivery(this, 'Delivery', {
      aliases: this.functionAliases,
      apiStage: this.api.restApi.deploymentStage,
      settings,
    });
    this.observability = new Observability(this, 'Observability', {
      stage: props.stage,
      functions: this.functions,
      queues: this.queues,
      restApi: this.api.restApi,
      deliveryStreamName: this.lake.deliveryStreamName,
      lakeErrors: { bucketName: this.lake.bucket.bucketName, metricsFilterId: this.lake.errorsMetricsFilterId },
      alarms: settings.alarms,
      alarmEmail: props.alarmEmail ?? settings.alarmEmail,
    });
    this.apiBaseUrlOutput = new CfnOutput(this, 'ApiBaseUrl', {
      description: 'Base URL of the API (the custom domain when there is one)',
      value: this.api.publicBaseUrl,
    });
  }
}
