import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  functions as functionSpecs,
  queues as queueSpecs,
  rawEvents,
  type FunctionId,
  type FunctionSpec,
  type QueueId,
  type QueueSpec,
} from '../../functions/declaration/topology';
import { CONSUMER_READ_LOG_MESSAGE } from '../../functions/domain/feed-consumers';
import { SQS_FIFO_IN_FLIGHT_LIMIT } from '../../functions/domain/webhooks/parking';
import { deadLetterQueueIds } from './topology-queues';

/** Events should leave within seconds; a stream consumer this far behind is stuck or starved. */
const ITERATOR_AGE_ALARM_MS = 5 * 60 * 1000;
/** Firehose's longest buffer interval: data older than this is not being delivered. */
const DATA_FRESHNESS_ALARM_S = 900;

/**
 * Backlog alarms for queues whose consumer keeps its own retry budget, so that SQS's
 * `maxReceiveCount × visibilityTimeout` says nothing about how long a message may wait. Queues not
 * listed keep that product as their threshold.
 */
const BACKLOG_OVERRIDES: Partial<Record<QueueId, { ageSeconds: number; why: string }>> = {
  // SQS leaves messages received three times or more out of ApproximateAgeOfOldestMessage, and the
  // delivery function receives a retrying head once per wait: this alarm sees only messages that
  // nobody receives (the function throttled, failing or disconnected from the queue). Retrying heads
  // show in the in-flight count (WEBHOOK_IN_FLIGHT_ALARM) and the delivery log's waiting metric.
  webhookDelivery: {
    ageSeconds: 3600,
    why: 'older than an hour without being received: the delivery function is not consuming the queue',
  },
};

/** SQS FIFO stops handing out messages of every group at 120,000 in flight; page at half of it. */
const WEBHOOK_IN_FLIGHT_ALARM = SQS_FIFO_IN_FLIGHT_LIMIT / 2;
/** Queued webhook messages older than this (since their event) are past every legitimate wait. */
const WAITING_ALARM_DAYS = 6;

/** Webhook metrics live in a namespace per stage, so stages sharing an account and region stay apart. */
const webhookMetricsNamespace = (stage: string) => `LoyaltyLedger/${stage}/Webhooks`;

/** Event feed metrics: their own namespace per stage, beside the webhook ones. */
const feedMetricsNamespace = (stage: string) => `LoyaltyLedger/${stage}/Feed`;

const onMessage = (...messages: string[]) =>
  logs.FilterPattern.any(...messages.map((m) => logs.FilterPattern.stringValue('$.message', '=', m)));
const ATTEMPT = logs.FilterPattern.stringValue('$.message', '=', 'Webhook attempt');

/**
 * Metrics of webhook delivery from the delivery function's structured (Powertools JSON) log lines,
 * one metric filter per entry; the `message` values are those the delivery worker and handler log.
 */
const WEBHOOK_METRICS = {
  /** Attempts the endpoint answered 2xx. */
  AttemptsDelivered: {
    pattern: logs.FilterPattern.all(ATTEMPT, logs.FilterPattern.booleanValue('$.ok', true)),
    unit: cloudwatch.Unit.COUNT,
  },
  /**
   * Attempts that failed (non-2xx, timeout, refused target); routine for tenant endpoints, so graphed, never alarmed.
   */
  AttemptsFailed: {
    pattern: logs.FilterPattern.all(ATTEMPT, logs.FilterPattern.booleanValue('$.ok', false)),
    unit: cloudwatch.Unit.COUNT,
  },
  /** How long each attempt took, whatever its outcome. */
  AttemptDuration: {
    pattern: logs.FilterPattern.all(ATTEMPT, logs.FilterPattern.numberValue('$.durationMs', '>=', 0)),
    value: '$.durationMs',
    unit: cloudwatch.Unit.MILLISECONDS,
  },
  /** Messages the function put on the DLQ itself: attempts exhausted, or not a delivery at all. */
  MessagesDeadLettered: {
    pattern: onMessage(
      'Attempts exhausted; message dead-lettered',
      'Receive limit reached; message dead-lettered',
      'Unreadable delivery message moved to the DLQ',
    ),
    unit: cloudwatch.Unit.COUNT,
  },
  /** Endpoints disabled: answered 410 Gone, or failed for too long. */
  EndpointsDisabled: {
    pattern: onMessage('Endpoint answered 410 Gone; disabled', 'Endpoint failing for too long; disabled'),
    unit: cloudwatch.Unit.COUNT,
  },
  /** Messages for a disabled endpoint, parked as dead letters in the table (redrive through the API). */
  MessagesParked: {
    pattern: onMessage('Endpoint disabled; message parked as a dead letter'),
    unit: cloudwatch.Unit.COUNT,
  },
  /** A failing endpoint's messages beyond its in-flight bound, moved off the queue to wait in the table. */
  MessagesHeldInTable: { pattern: onMessage('Webhook messages parked'), unit: cloudwatch.Unit.COUNT },
  /**
   * How long messages waiting on the queue (retrying heads, behind an open breaker) have waited since
   * their event: SQS's own age metric leaves out messages received three times or more.
   */
  QueuedMessageWaitingSeconds: {
    pattern: logs.FilterPattern.all(
      logs.FilterPattern.stringValue('$.message', '=', 'Webhook message waiting'),
      logs.FilterPattern.stringValue('$.where', '=', 'queue'),
    ),
    value: '$.waitingSeconds',
    unit: cloudwatch.Unit.SECONDS,
  },
} satisfies Record<string, { pattern: logs.IFilterPattern; value?: string; unit: cloudwatch.Unit }>;

export type WebhookMetricName = keyof typeof WEBHOOK_METRICS;

const CONSUMER_READ = logs.FilterPattern.stringValue('$.message', '=', CONSUMER_READ_LOG_MESSAGE);

/**
 * Metrics of named feed consumers from the API function's log line of every consumer read. No tenant or consumer
 * dimension: a metric per consumer would cost per consumer-month across every tenant (up to `feedConsumers` each)
 * while the tenant already sees each consumer's lag in the API; the platform watches the distribution, and the log
 * line names the consumer behind a spike (Logs Insights).
 */
const FEED_CONSUMER_METRICS = {
  /** The reading consumer's lag: now minus its committed position. */
  ConsumerLagSeconds: {
    pattern: logs.FilterPattern.all(CONSUMER_READ, logs.FilterPattern.numberValue('$.lagSeconds', '>=', 0)),
    value: '$.lagSeconds',
    unit: cloudwatch.Unit.SECONDS,
  },
  /** Events handed out by consumer reads. */
  ConsumerEventsRead: {
    pattern: logs.FilterPattern.all(CONSUMER_READ, logs.FilterPattern.numberValue('$.eventsRead', '>=', 0)),
    value: '$.eventsRead',
    unit: cloudwatch.Unit.COUNT,
  },
} satisfies Record<string, { pattern: logs.IFilterPattern; value: string; unit: cloudwatch.Unit }>;

export type FeedConsumerMetricName = keyof typeof FEED_CONSUMER_METRICS;

/** The function whose log lines the webhook metrics come from. */
const WEBHOOK_DELIVERY_FUNCTION: FunctionId = 'webhookDelivery';

export interface ObservabilityProps {
  readonly stage: string;
  readonly functions: Record<FunctionId, lambda.IFunction>;
  /** The functions' log groups: the webhook metric filters read the delivery function's. */
  readonly logGroups: Record<FunctionId, logs.ILogGroup>;
  readonly queues: Record<QueueId, sqs.IQueue>;
  readonly restApi: apigw.RestApi;
  readonly deliveryStreamName: string;
  /** The lake bucket and its request-metrics filter on Firehose's error prefix. */
  readonly lakeErrors: { bucketName: string; metricsFilterId: string };
  /** Optional address that receives alarm notifications. */
  readonly alarmEmail?: string;
}

/**
 * Alarms on what needs a person (anything in a dead-letter queue, function errors, stream
 * consumers falling behind, stuck deliveries, disabled webhook endpoints, API 5xx, undelivered
 * lake data) and one dashboard. Alarms notify an encrypted SNS topic. Webhook delivery metrics
 * come from metric filters on the delivery function's log group.
 */
export class Observability extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;
  /**
   * Metric filters on the delivery function's log group, by metric name (namespace `LoyaltyLedger/<stage>/Webhooks`).
   */
  readonly webhookMetricFilters: Record<WebhookMetricName, logs.MetricFilter>;
  readonly endpointsDisabledAlarm: cloudwatch.Alarm;

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

    const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...alarmProps,
      });
      created.addAlarmAction(notify);
      this.alarms.push(created);
      return created;
    };

    const queueMetric = (queue: sqs.IQueue, metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SQS',
        metricName,
        dimensionsMap: { QueueName: queue.queueName },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      });

    for (const queueId of deadLetterQueueIds()) {
      const spec = queueSpecs[queueId];
      alarm(`${spec.id}NotEmpty`, {
        alarmDescription: `${spec.id} holds messages that failed for good; inspect and redrive them.`,
        metric: queueMetric(props.queues[queueId], 'ApproximateNumberOfMessagesVisible'),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
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
      alarm(`${spec.id}Backlog`, {
        alarmDescription: override
          ? `${spec.id}: oldest message is ${override.why}; a message group may be blocked.`
          : `${spec.id}: oldest message is older than its retry budget; a message group may be blocked.`,
        metric: queueMetric(props.queues[queueId], 'ApproximateAgeOfOldestMessage'),
        threshold: override?.ageSeconds ?? spec.deadLetter.maxReceiveCount * spec.visibilityTimeoutSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
      });
    }

    // Webhook delivery metrics from the delivery function's log lines (no extra dependency); the
    // stage is in the namespace, since the log lines carry none to use as a dimension.
    const deliveryLogGroup = props.logGroups[WEBHOOK_DELIVERY_FUNCTION];
    this.webhookMetricFilters = Object.fromEntries(
      (Object.entries(WEBHOOK_METRICS) as [WebhookMetricName, (typeof WEBHOOK_METRICS)[WebhookMetricName]][]).map(
        ([metricName, definition]) => [
          metricName,
          new logs.MetricFilter(this, `Webhook${metricName}Filter`, {
            logGroup: deliveryLogGroup,
            metricNamespace: webhookMetricsNamespace(props.stage),
            metricName,
            filterPattern: definition.pattern,
            metricValue: 'value' in definition ? definition.value : '1',
            unit: definition.unit,
          }),
        ],
      ),
    ) as Record<WebhookMetricName, logs.MetricFilter>;
    // Consumer lag from the API function's log lines; no alarm: a tenant's consumer that stops reading is the
    // tenant's choice (its lag is in the API), not a platform fault, and would page the platform team for nothing.
    const apiLogGroup = props.logGroups.api;
    const feedConsumerFilters = Object.fromEntries(
      (
        Object.entries(FEED_CONSUMER_METRICS) as [
          FeedConsumerMetricName,
          { pattern: logs.IFilterPattern; value: string; unit: cloudwatch.Unit },
        ][]
      ).map(([metricName, definition]) => [
        metricName,
        new logs.MetricFilter(this, `Feed${metricName}Filter`, {
          logGroup: apiLogGroup,
          metricNamespace: feedMetricsNamespace(props.stage),
          metricName,
          filterPattern: definition.pattern,
          metricValue: definition.value,
          unit: definition.unit,
        }),
      ]),
    ) as Record<FeedConsumerMetricName, logs.MetricFilter>;
    const feedConsumerMetric = (metricName: FeedConsumerMetricName, options: cloudwatch.MetricOptions) =>
      feedConsumerFilters[metricName].metric({ period: Duration.minutes(1), ...options });

    const webhookMetric = (metricName: WebhookMetricName, options: cloudwatch.MetricOptions = {}) =>
      this.webhookMetricFilters[metricName].metric({
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(1),
        ...options,
      });

    // Dead letters already alarm through the DLQ-not-empty alarm; failed attempts never page (tenant endpoints fail
    // routinely).
    this.endpointsDisabledAlarm = alarm('WebhookEndpointsDisabled', {
      alarmDescription:
        "Tenants' webhook endpoints were disabled (answered 410 Gone, or failed for the whole disable period, " +
        '5 days by default); their messages are now parked as dead letters. Find the subscriptionId in the ' +
        'delivery function logs ("Endpoint answered 410 Gone; disabled" / ' +
        '"Endpoint failing for too long; disabled"), ' +
        'check the endpoint with GET /v1/webhooks/endpoints/{subscriptionId} (health, disabledReason, disabledAt); ' +
        'once the tenant has fixed it, PATCH enabled: true and redrive its dead letters. ' +
        'Runbook: docs/runbooks/webhook-dlq.md.',
      metric: webhookMetric('EndpointsDisabled', { period: Duration.minutes(15) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });

    // Past every legitimate wait: the retry schedule (~28 h) and the 5-day disable; SQS drops messages at 14 days.
    alarm('WebhookMessagesWaitingTooLong', {
      alarmDescription:
        `A webhook message has waited on the delivery queue for over ${WAITING_ALARM_DAYS} days since its event ` +
        '(retry schedule ~28 h, endpoints disabled after 5 days without success; SQS deletes messages at 14 days). ' +
        'Find it in the delivery log ("Webhook message waiting", waitingSeconds) and check its endpoint. ' +
        'Runbook: docs/runbooks/webhook-dlq.md.',
      metric: webhookMetric('QueuedMessageWaitingSeconds', {
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(15),
      }),
      threshold: WAITING_ALARM_DAYS * 86_400,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });

    const streamConsumers: FunctionId[] = [];
    for (const [functionId, spec] of Object.entries(functionSpecs) as [FunctionId, FunctionSpec][]) {
      const fn = props.functions[functionId];
      alarm(`${spec.id}Errors`, {
        alarmDescription: `${spec.id} failed invocations.`,
        metric: fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
      if (spec.trigger?.kind === 'dynamodb-stream') {
        streamConsumers.push(functionId);
        alarm(`${spec.id}IteratorAge`, {
          alarmDescription:
            `${spec.id} is falling behind the table stream; records expire after ` +
            `${spec.trigger.maxRecordAgeSeconds} s.`,
          metric: iteratorAge(fn),
          threshold: Math.min(ITERATOR_AGE_ALARM_MS, (spec.trigger.maxRecordAgeSeconds * 1000) / 4),
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
        });
      }
    }

    alarm('ApiServerErrors', {
      alarmDescription: 'The API answered with 5xx errors.',
      metric: props.restApi.metricServerError({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });

    const firehoseMetric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Firehose',
        metricName,
        dimensionsMap: { DeliveryStreamName: props.deliveryStreamName },
        statistic,
        period: Duration.minutes(5),
      });
    alarm('RawEventsDataFreshness', {
      alarmDescription: 'Raw events are not reaching the lake bucket.',
      metric: firehoseMetric('DeliveryToS3.DataFreshness', cloudwatch.Stats.MAXIMUM),
      threshold: DATA_FRESHNESS_ALARM_S,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });

    // Retrying heads stay in flight; at the FIFO quota the queue would stop delivering for every tenant.
    alarm('WebhookDeliveryInFlight', {
      alarmDescription:
        `The webhook delivery queue holds over ${WEBHOOK_IN_FLIGHT_ALARM} messages in flight (waiting for a retry); ` +
        `SQS FIFO hands out nothing at ${SQS_FIFO_IN_FLIGHT_LIMIT}. Find the failing endpoints in the delivery log. ` +
        'Runbook: docs/runbooks/webhook-dlq.md.',
      metric: queueMetric(props.queues.webhookDelivery, 'ApproximateNumberOfMessagesNotVisible'),
      threshold: WEBHOOK_IN_FLIGHT_ALARM,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });

    // Records of partitions beyond the quota go to the error prefix while freshness still looks fine.
    const partitionQuota = rawEvents.capacity.activePartitionQuota;
    alarm('RawEventsPartitionsNearQuota', {
      alarmDescription:
        `Raw events use over 80 % of the ${partitionQuota} active partitions Firehose allows; ` +
        'past the quota records go to the error prefix. Raise the quota (Service Quotas) and rawEvents.capacity in ' +
        'functions/declaration/topology.ts. See docs/deploy.md.',
      metric: firehoseMetric('PartitionCount', cloudwatch.Stats.MAXIMUM),
      threshold: Math.floor(partitionQuota * 0.8),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('RawEventsPartitionsExceeded', {
      alarmDescription:
        'Firehose exceeded its active-partition quota: raw events are going to the error prefix of the lake bucket.',
      metric: firehoseMetric('PartitionCountExceeded', cloudwatch.Stats.MAXIMUM),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });

    // Records Firehose cannot partition or deliver (partition quota exceeded, keys missing, delivery to the partition
    // failed past its retry duration) are written under the error prefix; no Firehose metric counts them, the
    // bucket's request metrics on that prefix do.
    alarm('RawEventsToErrorPrefix', {
      alarmDescription:
        `Raw events were written under the lake bucket's error prefix (${rawEvents.errorPrefix.split('!{')[0]}` +
        "<error type>/): those records are missing from the tenants' partitions. The folder name gives the cause " +
        '(activePartitionExceeded, partition keys missing, delivery failed past its retries); fix it, then re-send ' +
        'the time range ' +
        'to the lake with a backfill.',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/S3',
        metricName: 'PutRequests',
        dimensionsMap: { BucketName: props.lakeErrors.bucketName, FilterId: props.lakeErrors.metricsFilterId },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });

    const allFunctions = Object.entries(props.functions) as [FunctionId, lambda.IFunction][];
    const perFunction = (title: string, metric: (fn: lambda.IFunction) => cloudwatch.IMetric) =>
      new cloudwatch.GraphWidget({ title, width: 8, left: allFunctions.map(([, fn]) => metric(fn)) });
    const allQueues = Object.entries(props.queues) as [QueueId, sqs.IQueue][];

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      // Dashboard names are global to the account: the region keeps two regions' stages apart.
      dashboardName: `loyalty-ledger-${props.stage}-${Stack.of(this).region}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms }));
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        width: 12,
        left: [props.restApi.metricCount(), props.restApi.metricClientError(), props.restApi.metricServerError()],
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (p50, p99)',
        width: 12,
        left: [props.restApi.metricLatency({ statistic: 'p50' }), props.restApi.metricLatency({ statistic: 'p99' })],
      }),
    );
    this.dashboard.addWidgets(
      perFunction('Function errors', (fn) => fn.metricErrors()),
      perFunction('Function throttles', (fn) => fn.metricThrottles()),
      perFunction('Function duration (p95)', (fn) => fn.metricDuration({ statistic: 'p95' })),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Stream consumer iterator age (max)',
        width: 8,
        left: streamConsumers.map((functionId) => iteratorAge(props.functions[functionId])),
      }),
      new cloudwatch.GraphWidget({
        title: 'Queue depth (visible)',
        width: 8,
        left: allQueues.map(([, queue]) => queueMetric(queue, 'ApproximateNumberOfMessagesVisible')),
      }),
      new cloudwatch.GraphWidget({
        title: 'Oldest message age (s)',
        width: 8,
        left: allQueues.map(([, queue]) => queueMetric(queue, 'ApproximateAgeOfOldestMessage')),
      }),
    );
    const deliveryQueue = props.queues.webhookDelivery;
    const deliveryDlq = props.queues.webhookDeliveryDlq;
    this.dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: '## Webhooks', width: 24, height: 1 }));
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Webhook attempts per minute: delivered vs failed',
        width: 6,
        left: [
          webhookMetric('AttemptsDelivered', { label: 'Delivered' }),
          webhookMetric('AttemptsFailed', { label: 'Failed' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Webhook attempt duration (p50, p99, ms)',
        width: 6,
        left: [
          webhookMetric('AttemptDuration', { statistic: 'p50', label: 'p50' }),
          webhookMetric('AttemptDuration', { statistic: 'p99', label: 'p99' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Webhooks dead-lettered, endpoints disabled, messages parked',
        width: 6,
        left: [
          webhookMetric('MessagesDeadLettered', { period: Duration.minutes(5), label: 'Dead-lettered' }),
          webhookMetric('EndpointsDisabled', { period: Duration.minutes(5), label: 'Endpoints disabled' }),
          webhookMetric('MessagesParked', { period: Duration.minutes(5), label: 'Parked' }),
          webhookMetric('MessagesHeldInTable', {
            period: Duration.minutes(5),
            label: 'Held in the table (endpoint over its in-flight bound)',
          }),
        ],
        right: [
          webhookMetric('QueuedMessageWaitingSeconds', {
            statistic: cloudwatch.Stats.MAXIMUM,
            label: 'Longest wait on the queue (s)',
          }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Delivery queue and DLQ depth',
        width: 6,
        left: [
          queueMetric(deliveryQueue, 'ApproximateNumberOfMessagesVisible').with({ label: 'Delivery queue: visible' }),
          // Messages waiting for their next attempt are in flight (invisible) until then.
          queueMetric(deliveryQueue, 'ApproximateNumberOfMessagesNotVisible').with({
            label: 'Delivery queue: in flight (retrying)',
          }),
          queueMetric(deliveryDlq, 'ApproximateNumberOfMessagesVisible').with({ label: 'DLQ' }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Event consumers: lag at reads (max, p90, p50, s)',
        width: 12,
        left: [
          feedConsumerMetric('ConsumerLagSeconds', { statistic: cloudwatch.Stats.MAXIMUM, label: 'Max' }),
          feedConsumerMetric('ConsumerLagSeconds', { statistic: 'p90', label: 'p90' }),
          feedConsumerMetric('ConsumerLagSeconds', { statistic: 'p50', label: 'p50' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Event consumers: events read per minute',
        width: 12,
        left: [feedConsumerMetric('ConsumerEventsRead', { statistic: cloudwatch.Stats.SUM, label: 'Events read' })],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Raw events: records in, delivered to S3',
        width: 12,
        left: [
          firehoseMetric('IncomingRecords', cloudwatch.Stats.SUM),
          firehoseMetric('DeliveryToS3.Records', cloudwatch.Stats.SUM),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Raw events: data freshness (s)',
        width: 12,
        left: [firehoseMetric('DeliveryToS3.DataFreshness', cloudwatch.Stats.MAXIMUM)],
      }),
    );
  }
}

function iteratorAge(fn: lambda.IFunction): cloudwatch.Metric {
  return fn.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) });
}
