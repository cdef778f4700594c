import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { dashboard as dashboardSections, type Panel, type Series } from '../../functions/declaration/dashboard';
import {
  METRICS_SERVICE_DIMENSION,
  metricsNamespace,
  metricsService,
  type PlatformMetricName,
} from '../../functions/declaration/metrics';
import type { AlarmThresholds } from '../../functions/declaration/stages';
import {
  deadLetterQueueIds,
  functions as functionSpecs,
  queues as queueSpecs,
  rawEvents,
  type FunctionId,
  type FunctionSpec,
  type QueueId,
  type QueueSpec,
} from '../../functions/declaration/topology';
import { SQS_FIFO_IN_FLIGHT_LIMIT } from '../../functions/domain/webhooks/parking';

/**
 * Backlog alarms for queues whose consumer keeps its own retry budget, so that SQS's
 * `maxReceiveCount × visibilityTimeout` says nothing about how long a message may wait. Queues not
 * listed keep that product as their threshold.
 */
const BACKLOG_OVERRIDES: Partial<Record<QueueId, { ageSeconds: number; why: string }>> = {
  // SQS leaves messages received three times or more out of ApproximateAgeOfOldestMessage, and the
  // delivery function receives a retrying head once per wait: this alarm sees only messages that
  // nobody receives (the function throttled, failing or disconnected from the queue). Retrying heads
  // show in the in-flight count (WEBHOOK_IN_FLIGHT_ALARM) and the QueuedMessageWaitingSeconds metric.
  webhookDelivery: {
    ageSeconds: 3600,
    why: 'older than an hour without being received: the delivery function is not consuming the queue',
  },
};

/** SQS FIFO stops handing out messages of every group at 120,000 in flight; page at half of it. */
const WEBHOOK_IN_FLIGHT_ALARM = SQS_FIFO_IN_FLIGHT_LIMIT / 2;

const RUNBOOK_WEBHOOKS = 'Runbook: docs/runbooks/webhook-dlq.md.';

/** The functions the table stream triggers: their iterator age is graphed as the pipeline's lag. */
const streamConsumerIds = (): FunctionId[] =>
  (Object.entries(functionSpecs) as [FunctionId, FunctionSpec][])
    .filter(([, spec]) => spec.trigger?.kind === 'dynamodb-stream')
    .map(([functionId]) => functionId);

/** A platform metric (EMF) as CloudWatch names it: the stage's namespace and the one `service` dimension. */
export function platformMetric(
  stage: string,
  metricName: PlatformMetricName,
  options: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: metricsNamespace(stage),
    metricName,
    dimensionsMap: { [METRICS_SERVICE_DIMENSION]: metricsService },
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(1),
    ...options,
  });
}

/**
 * One alarm, as data: what it watches, when it fires, and what the person paged should do (the description, with
 * its runbook). Thresholds that differ between stages come from the stage's `AlarmThresholds`.
 */
export interface AlarmRule {
  readonly id: string;
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  /** Fires above this value (`GreaterThanThreshold`); missing data is not breaching. */
  readonly threshold: number;
  readonly evaluationPeriods: number;
}

export interface ObservabilityProps {
  readonly stage: string;
  readonly functions: Record<FunctionId, lambda.IFunction>;
  readonly queues: Record<QueueId, sqs.IQueue>;
  readonly restApi: apigw.RestApi;
  readonly deliveryStreamName: string;
  /** The lake bucket and its request-metrics filter on Firehose's error prefix. */
  readonly lakeErrors: { bucketName: string; metricsFilterId: string };
  /** The stage's alarm thresholds (`stageSettingsFor(stage).alarms`). */
  readonly alarms: AlarmThresholds;
  /** Optional address that receives alarm notifications. */
  readonly alarmEmail?: string;
}

/**
 * Turns a dashboard `Series` (`functions/declaration/dashboard.ts`) into CloudWatch metrics: one per selected
 * function or queue, one otherwise. The dashboard and the alarms both read metrics through it.
 */
export class SeriesRenderer {
  constructor(private readonly props: ObservabilityProps) {}

  render(series: Series, period: Duration = Duration.minutes(1)): cloudwatch.Metric[] {
    const { props } = this;
    const options = { statistic: series.stat, period };
    switch (series.source) {
      case 'platform':
        return [platformMetric(props.stage, series.metric, { ...options, label: series.label })];
      case 'api':
        return [props.restApi.metric(series.metric, { ...options, label: series.label })];
      case 'function':
        return this.functionIds(series.functions).map((functionId) =>
          props.functions[functionId].metric(series.metric, { ...options, label: functionSpecs[functionId].id }),
        );
      case 'queue':
        return this.queueIds(series.queues).map((queueId) =>
          this.queue(queueId, series.metric, { ...options, label: series.label ?? queueSpecs[queueId].id }),
        );
      case 'lake':
        return [this.firehose(series.metric, { ...options, label: series.label })];
    }
  }

  queue(queueId: QueueId, metricName: string, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/SQS',
      metricName,
      dimensionsMap: { QueueName: this.props.queues[queueId].queueName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
      ...options,
    });
  }

  firehose(metricName: string, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Firehose',
      metricName,
      dimensionsMap: { DeliveryStreamName: this.props.deliveryStreamName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(5),
      ...options,
    });
  }

  private functionIds(selection: 'all' | 'stream-consumers' | readonly FunctionId[]): readonly FunctionId[] {
    if (selection === 'all') return Object.keys(functionSpecs) as FunctionId[];
    if (selection === 'stream-consumers') return streamConsumerIds();
    return selection;
  }

  private queueIds(selection: 'all' | 'dead-letter' | readonly QueueId[]): readonly QueueId[] {
    if (selection === 'all') return Object.keys(queueSpecs) as QueueId[];
    if (selection === 'dead-letter') return deadLetterQueueIds();
    return selection;
  }
}

/**
 * Every alarm of the platform, declared once: anything in a dead-letter queue, queues backing up, function errors,
 * stream consumers falling behind, webhook endpoints disabled or messages waiting too long (platform metrics),
 * API 5xx and latency, and raw events not reaching the lake. Failed webhook attempts never page: tenant endpoints
 * fail routinely. Consumer lag does not page either: a tenant's consumer that stops reading is the tenant's choice.
 */
export function alarmRules(props: ObservabilityProps, metrics: SeriesRenderer): AlarmRule[] {
  const thresholds = props.alarms;
  const rules: AlarmRule[] = [];
  for (const queueId of deadLetterQueueIds()) {
    const spec = queueSpecs[queueId];
    rules.push({
      id: `${spec.id}NotEmpty`,
      description: `${spec.id} holds messages that failed for good; inspect and redrive them.`,
      metric: metrics.queue(queueId, 'ApproximateNumberOfMessagesVisible'),
      threshold: 0,
      evaluationPeriods: 1,
    });
  }
  // Older than its whole retry budget means the queue is backing up, not just retrying.
  for (const [queueId, spec] of Object.entries(queueSpecs) as [QueueId, QueueSpec][]) {
    if (!spec.deadLetter) continue;
    const override = BACKLOG_OVERRIDES[queueId];
    if (override && override.ageSeconds >= spec.retentionPeriodSeconds) {
      throw new Error(
        `${spec.id}: backlog alarm at ${override.ageSeconds} s would fire only after retention ` +
          `(${spec.retentionPeriodSeconds} s) dropped messages`,
      );
    }
    rules.push({
      id: `${spec.id}Backlog`,
      description: override
        ? `${spec.id}: oldest message is ${override.why}; a message group may be blocked.`
        : `${spec.id}: oldest message is older than its retry budget; a message group may be blocked.`,
      metric: metrics.queue(queueId, 'ApproximateAgeOfOldestMessage'),
      threshold: override?.ageSeconds ?? spec.deadLetter.maxReceiveCount * spec.visibilityTimeoutSeconds,
      evaluationPeriods: 5,
    });
  }
  rules.push(
    {
      id: 'WebhookEndpointsDisabled',
      description:
        "Tenants' webhook endpoints were disabled (answered 410 Gone, or failed for the whole disable period, " +
        '5 days by default); their messages are now parked as dead letters. Find the subscriptionId in the ' +
        'delivery function logs (warnings "Endpoint answered 410 Gone; disabled" / ' +
        '"Endpoint failing for too long; disabled"), ' +
        'check the endpoint with GET /v1/webhooks/endpoints/{subscriptionId} (health, disabledReason, disabledAt); ' +
        'once the tenant has fixed it, PATCH enabled: true and redrive its dead letters. ' +
        RUNBOOK_WEBHOOKS,
      metric: platformMetric(props.stage, 'EndpointsDisabled', { period: Duration.minutes(15) }),
      threshold: 0,
      evaluationPeriods: 1,
    },
    // Past every legitimate wait: the retry schedule (~28 h) and the 5-day disable; SQS drops messages at 14 days.
    {
      id: 'WebhookMessagesWaitingTooLong',
      description:
        `A webhook message has waited on the delivery queue for over ${thresholds.webhookWaitingDays} days since ` +
        'its event (retry schedule ~28 h, endpoints disabled after 5 days without success; SQS deletes messages at ' +
        '14 days). Find it in the delivery log ("Webhook message waiting", waitingSeconds) and check its endpoint. ' +
        RUNBOOK_WEBHOOKS,
      metric: platformMetric(props.stage, 'QueuedMessageWaitingSeconds', {
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(15),
      }),
      threshold: thresholds.webhookWaitingDays * 86_400,
      evaluationPeriods: 1,
    },
  );
  for (const [functionId, spec] of Object.entries(functionSpecs) as [FunctionId, FunctionSpec][]) {
    const fn = props.functions[functionId];
    rules.push({
      id: `${spec.id}Errors`,
      description: `${spec.id} failed invocations.`,
      metric: fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
      threshold: 0,
      evaluationPeriods: 1,
    });
    if (spec.trigger?.kind === 'dynamodb-stream')
      rules.push({
        id: `${spec.id}IteratorAge`,
        description:
          `${spec.id} is falling behind the table stream; records expire after ` +
          `${spec.trigger.maxRecordAgeSeconds} s.`,
        metric: fn.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) }),
        threshold: Math.min(thresholds.iteratorAgeMs, (spec.trigger.maxRecordAgeSeconds * 1000) / 4),
        evaluationPeriods: 3,
      });
  }
  const partitionQuota = rawEvents.capacity.activePartitionQuota;
  rules.push(
    {
      id: 'ApiServerErrors',
      description: 'The API answered with 5xx errors.',
      metric: props.restApi.metricServerError({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
      threshold: thresholds.api5xxPerFiveMinutes,
      evaluationPeriods: 1,
    },
    {
      id: 'ApiLatencyP99',
      description:
        `The API's p99 latency stayed above ${thresholds.apiLatencyP99Ms} ms for 5 minutes; ` +
        'check the function duration and throttles panels, then the API function log.',
      metric: props.restApi.metricLatency({ statistic: 'p99', period: Duration.minutes(1) }),
      threshold: thresholds.apiLatencyP99Ms,
      evaluationPeriods: 5,
    },
    {
      id: 'RawEventsDataFreshness',
      description: 'Raw events are not reaching the lake bucket.',
      metric: metrics.firehose('DeliveryToS3.DataFreshness'),
      threshold: thresholds.lakeFreshnessSeconds,
      evaluationPeriods: 1,
    },
    // Retrying heads stay in flight; at the FIFO quota the queue would stop delivering for every tenant.
    {
      id: 'WebhookDeliveryInFlight',
      description:
        `The webhook delivery queue holds over ${WEBHOOK_IN_FLIGHT_ALARM} messages in flight (waiting for a ` +
        `retry); SQS FIFO hands out nothing at ${SQS_FIFO_IN_FLIGHT_LIMIT}. Find the failing endpoints in the ` +
        `delivery log. ${RUNBOOK_WEBHOOKS}`,
      metric: metrics.queue('webhookDelivery', 'ApproximateNumberOfMessagesNotVisible'),
      threshold: WEBHOOK_IN_FLIGHT_ALARM,
      evaluationPeriods: 3,
    },
    // Records of partitions beyond the quota go to the error prefix while freshness still looks fine.
    {
      id: 'RawEventsPartitionsNearQuota',
      description:
        `Raw events use over 80 % of the ${partitionQuota} active partitions Firehose allows; ` +
        'past the quota records go to the error prefix. Raise the quota (Service Quotas) and rawEvents.capacity ' +
        'in functions/declaration/topology.ts. See docs/deploy.md.',
      metric: metrics.firehose('PartitionCount'),
      threshold: Math.floor(partitionQuota * 0.8),
      evaluationPeriods: 1,
    },
    {
      id: 'RawEventsPartitionsExceeded',
      description:
        'Firehose exceeded its active-partition quota: raw events are going to the error prefix of the lake bucket.',
      metric: metrics.firehose('PartitionCountExceeded'),
      threshold: 0,
      evaluationPeriods: 1,
    },
    // Records Firehose cannot partition or deliver (partition quota exceeded, keys missing, delivery to the
    // partition failed past its retry duration) are written under the error prefix; no Firehose metric counts
    // them, the bucket's request metrics on that prefix do.
    {
      id: 'RawEventsToErrorPrefix',
      description:
        `Raw events were written under the lake bucket's error prefix (${rawEvents.errorPrefix.split('!{')[0]}` +
        "<error type>/): those records are missing from the tenants' partitions. The folder name gives the cause " +
        '(activePartitionExceeded, partition keys missing, delivery failed past its retries); fix it, then ' +
        're-send the time range to the lake with a backfill.',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/S3',
        metricName: 'PutRequests',
        dimensionsMap: { BucketName: props.lakeErrors.bucketName, FilterId: props.lakeErrors.metricsFilterId },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      }),
      threshold: 0,
      evaluationPeriods: 1,
    },
  );
  return rules;
}

/**
 * The platform's alarms (`alarmRules`) and its dashboard (`functions/declaration/dashboard.ts`), rendered once.
 * Alarms notify an encrypted SNS topic. The platform's own figures are metrics the functions emit (EMF, Powertools
 * Metrics): nothing here reads log text, so rewording a log line breaks no alarm.
 */
export class Observability extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;
  /** By rule id (`WebhookEndpointsDisabled`, `ApiServerErrors`, `ApiLatencyP99`, …). */
  readonly alarmsById: Record<string, cloudwatch.Alarm> = {};

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);

    const topicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the alarm notification topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes to the encrypted topic only if the key lets it.
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: ['*'],
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { masterKey: topicKey, enforceSSL: true });
    // enforceSSL writes a topic policy that only denies, which replaces SNS's default policy: without this
    // statement CloudWatch may not publish and every alarm action fails silently (alarm history only).
    const { account, partition, region } = Stack.of(this);
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        actions: ['sns:Publish'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
        },
      }),
    );
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.alarmTopic);

    const renderer = new SeriesRenderer(props);
    for (const rule of alarmRules(props, renderer)) {
      const created = new cloudwatch.Alarm(this, rule.id, {
        alarmDescription: rule.description,
        metric: rule.metric,
        threshold: rule.threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: rule.evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      this.alarms.push(created);
      this.alarmsById[rule.id] = created;
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      // Dashboard names are global to the account: the region keeps two regions' stages apart.
      dashboardName: `loyalty-ledger-${props.stage}-${Stack.of(this).region}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms }));
    for (const section of dashboardSections) {
      this.dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: `## ${section.title}`, width: 24, height: 1 }));
      this.dashboard.addWidgets(...section.panels.map((panel) => graph(panel, renderer)));
    }
  }
}

function graph(panel: Panel, renderer: SeriesRenderer): cloudwatch.GraphWidget {
  const period = Duration.seconds(panel.periodSeconds ?? 60);
  const render = (series: readonly Series[] = []) => series.flatMap((one) => renderer.render(one, period));
  return new cloudwatch.GraphWidget({
    title: panel.title,
    width: panel.width,
    left: render(panel.left),
    right: render(panel.right),
  });
}
