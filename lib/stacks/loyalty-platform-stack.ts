import { CfnOutput, Lazy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { FunctionId, QueueId, TokenKeySlot } from '../../functions/declaration/topology';
import { LedgerApi, type CustomDomain } from '../constructs/ledger-api';
import { LedgerTable } from '../constructs/ledger-table';
import { Observability } from '../constructs/observability';
import { RawEventsLake } from '../constructs/raw-events-lake';
import { notifySnowpipe } from '../constructs/snowpipe-notification';
import { TenantLakeAccess } from '../constructs/tenant-lake-access';
import type { LakeReader } from '../lake-readers';
import { SERVICE_NAME, TopologyFunctions } from '../constructs/topology-functions';
import { TopologyQueues } from '../constructs/topology-queues';
import { WebhookSecrets } from '../constructs/webhook-secrets';
import { TokenSigningKeys } from '../constructs/token-signing-keys';

export interface LoyaltyPlatformStackProps extends StackProps {
  readonly stage: string;
  /** Optional address that receives alarm notifications. */
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
  readonly lakeAccess: TenantLakeAccess;
  readonly functions: Record<FunctionId, NodejsFunction>;
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

    this.ledger = new LedgerTable(this, 'Data');
    const queues = new TopologyQueues(this, 'Queues');
    this.queues = queues.byId;
    this.queueKey = queues.key;
    this.lake = new RawEventsLake(this, 'Lake');
    if (props.snowpipeSqsArn) notifySnowpipe(this.lake.bucket, props.snowpipeSqsArn);
    this.lakeAccess = new TenantLakeAccess(this, 'LakeAccess', {
      bucket: this.lake.bucket,
      key: this.lake.key,
      readers: props.lakeReaders ?? [],
    });
    this.secretsKey = new WebhookSecrets(this, 'Webhooks').key;
    this.tokenKeys = new TokenSigningKeys(this, 'TokenKeys', {
      stage: props.stage,
      activeSlot: props.tokenSigningKeySlot ?? 'A',
    });
    const functions = new TopologyFunctions(this, 'Functions', {
      tokenKeys: this.tokenKeys,
      stage: props.stage,
      table: this.ledger.table,
      queues: this.queues,
      queueKey: this.queueKey,
      secretsKey: this.secretsKey,
      // The API function keeps tenants in the usage plans of this API's stage; the API is built after the functions.
      tenantThrottling: Lazy.string({ produce: () => `api-gateway:${this.api.restApi.restApiId}/${props.stage}` }),
      rawEvents: this.lake,
      lake: this.lake,
    });
    this.functions = functions.byId;
    this.functionLogGroups = functions.logGroups;
    this.api = new LedgerApi(this, 'Api', {
      stage: props.stage,
      functions: this.functions,
      manageAccountLoggingRole: props.manageApiGatewayAccount ?? true,
      customDomain: props.customDomain,
    });
    functions.useApiBaseUrl(this.api.publicBaseUrl);
    this.observability = new Observability(this, 'Observability', {
      stage: props.stage,
      functions: this.functions,
      logGroups: this.functionLogGroups,
      queues: this.queues,
      restApi: this.api.restApi,
      deliveryStreamName: this.lake.deliveryStreamName,
      lakeErrors: { bucketName: this.lake.bucket.bucketName, metricsFilterId: this.lake.errorsMetricsFilterId },
      alarmEmail: props.alarmEmail,
    });
    this.apiBaseUrlOutput = new CfnOutput(this, 'ApiBaseUrl', {
      description: 'Base URL of the API (the custom domain when there is one)',
      value: this.api.publicBaseUrl,
    });
  }
}
