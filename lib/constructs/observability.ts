import { Duration, RemovalPolicy } from 'aws-cdk-lib';
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
import { functions as functionSpecs, queues as queueSpecs, type FunctionId, type FunctionSpec, type QueueId, type QueueSpec } from '../topology';
import { deadLetterQueueIds } from './topology-queues';

/** Events should leave within seconds; a stream consumer this far behind is stuck or starved. */
const ITERATOR_AGE_ALARM_MS = 5 * 60 * 1000;
/** Firehose's longest buffer interval: data older than this is not being delivered. */
const DATA_FRESHNESS_ALARM_S = 900;

export interface ObservabilityProps {
  readonly stage: string;
  readonly functions: Record<FunctionId, lambda.IFunction>;
  readonly queues: Record<QueueId, sqs.IQueue>;
  readonly restApi: apigw.RestApi;
  readonly deliveryStreamName: string;
  /** Optional address that receives alarm notifications. */
  readonly alarmEmail?: string;
}

/**
 * Alarms on what needs a person (anything in a dead-letter queue, function errors, stream
 * consumers falling behind, stuck deliveries, API 5xx, undelivered lake data) and one dashboard.
 * Alarms notify an encrypted SNS topic.
 */
export class Observability extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

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
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.alarmTopic);

    const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, alarmId, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...alarmProps });
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
      alarm(`${spec.id}Backlog`, {
        alarmDescription: `${spec.id}: oldest message is older than its retry budget; a message group may be blocked.`,
        metric: queueMetric(props.queues[queueId], 'ApproximateAgeOfOldestMessage'),
        threshold: spec.deadLetter.maxReceiveCount * spec.visibilityTimeoutSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
      });
    }

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
          alarmDescription: `${spec.id} is falling behind the table stream; records expire after ${spec.trigger.maxRecordAgeSeconds} s.`,
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

    const allFunctions = Object.entries(props.functions) as [FunctionId, lambda.IFunction][];
    const perFunction = (title: string, metric: (fn: lambda.IFunction) => cloudwatch.IMetric) =>
      new cloudwatch.GraphWidget({ title, width: 8, left: allFunctions.map(([, fn]) => metric(fn)) });
    const allQueues = Object.entries(props.queues) as [QueueId, sqs.IQueue][];

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `loyalty-ledger-${props.stage}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms }),
    );
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
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Raw events: records in, delivered to S3',
        width: 12,
        left: [firehoseMetric('IncomingRecords', cloudwatch.Stats.SUM), firehoseMetric('DeliveryToS3.Records', cloudwatch.Stats.SUM)],
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
