/**
 * The operations dashboard, declared once as data. `lib/constructs/observability.ts` renders it as the CloudWatch
 * dashboard; the twin renders the same panels on its local status page (`local/`), from the same figures measured
 * locally (the functions' EMF lines, the emulated queues, the twin's API, stream pollers and Firehose). A panel
 * added here appears in both.
 */
import type { PlatformMetricName } from './metrics';
import type { FunctionId, QueueId } from './topology';

export type Statistic = 'Sum' | 'Maximum' | 'Average' | 'SampleCount' | 'p50' | 'p90' | 'p99';

/** A figure on a panel, named by where it comes from rather than by a CloudWatch metric object. */
export type Series =
  /** A platform metric the functions emit (`metrics.ts`). */
  | {
      readonly source: 'platform';
      readonly metric: PlatformMetricName;
      readonly stat: Statistic;
      readonly label: string;
    }
  /** The REST API's own metrics (API Gateway; the twin counts its gateway's requests). */
  | {
      readonly source: 'api';
      readonly metric: 'Count' | '4XXError' | '5XXError' | 'Latency';
      readonly stat: Statistic;
      readonly label: string;
    }
  /** Lambda's metrics, one line per selected function. */
  | {
      readonly source: 'function';
      readonly metric: 'Invocations' | 'Errors' | 'Throttles' | 'Duration' | 'IteratorAge';
      readonly functions: 'all' | 'stream-consumers' | readonly FunctionId[];
      readonly stat: Statistic;
    }
  /** SQS's metrics, one line per selected queue. */
  | {
      readonly source: 'queue';
      readonly metric:
        | 'ApproximateNumberOfMessagesVisible'
        | 'ApproximateNumberOfMessagesNotVisible'
        | 'ApproximateAgeOfOldestMessage';
      readonly queues: 'all' | 'dead-letter' | readonly QueueId[];
      readonly stat: Statistic;
      readonly label?: string;
    }
  /** The raw-events delivery stream (Firehose; the twin's local Firehose). */
  | {
      readonly source: 'lake';
      readonly metric: 'IncomingRecords' | 'DeliveryToS3.Records' | 'DeliveryToS3.DataFreshness';
      readonly stat: Statistic;
      readonly label: string;
    };

export interface Panel {
  readonly title: string;
  /** Out of 24 columns. */
  readonly width: 6 | 8 | 12 | 24;
  readonly left: readonly Series[];
  readonly right?: readonly Series[];
  /** The period each point covers; one minute when not given. */
  readonly periodSeconds?: number;
}

export interface DashboardSection {
  readonly title: string;
  readonly panels: readonly Panel[];
}

const platform = (metric: PlatformMetricName, stat: Statistic, label: string): Series => ({
  source: 'platform',
  metric,
  stat,
  label,
});

export const dashboard: readonly DashboardSection[] = [
  {
    title: 'API',
    panels: [
      {
        title: 'API requests and errors',
        width: 12,
        left: [
          { source: 'api', metric: 'Count', stat: 'Sum', label: 'Requests' },
          { source: 'api', metric: '4XXError', stat: 'Sum', label: '4xx' },
          { source: 'api', metric: '5XXError', stat: 'Sum', label: '5xx' },
        ],
      },
      {
        title: 'API latency (p50, p99, ms)',
        width: 12,
        left: [
          { source: 'api', metric: 'Latency', stat: 'p50', label: 'p50' },
          { source: 'api', metric: 'Latency', stat: 'p99', label: 'p99' },
        ],
      },
    ],
  },
  {
    title: 'Ledger',
    panels: [
      {
        title: 'Earns and points earned per minute',
        width: 12,
        left: [platform('EarnTransactions', 'Sum', 'Earn transactions')],
        right: [platform('PointsEarned', 'Sum', 'Points earned')],
      },
      {
        title: 'Redemptions, enrolments and tier changes per minute',
        width: 12,
        left: [
          platform('Redemptions', 'Sum', 'Redemptions'),
          platform('MembersEnrolled', 'Sum', 'Members enrolled'),
          platform('TierChanges', 'Sum', 'Tier changes'),
        ],
        right: [platform('PointsRedeemed', 'Sum', 'Points redeemed')],
      },
    ],
  },
  {
    title: 'Functions',
    panels: [
      {
        title: 'Function errors',
        width: 8,
        left: [{ source: 'function', metric: 'Errors', functions: 'all', stat: 'Sum' }],
      },
      {
        title: 'Function throttles',
        width: 8,
        left: [{ source: 'function', metric: 'Throttles', functions: 'all', stat: 'Sum' }],
      },
      {
        title: 'Function duration (p99, ms)',
        width: 8,
        left: [{ source: 'function', metric: 'Duration', functions: 'all', stat: 'p99' }],
      },
    ],
  },
  {
    title: 'Pipeline',
    panels: [
      {
        title: 'Stream consumer lag (iterator age, max, ms)',
        width: 8,
        left: [{ source: 'function', metric: 'IteratorAge', functions: 'stream-consumers', stat: 'Maximum' }],
      },
      {
        title: 'Queue depth (visible)',
        width: 8,
        left: [{ source: 'queue', metric: 'ApproximateNumberOfMessagesVisible', queues: 'all', stat: 'Maximum' }],
      },
      {
        title: "Dead-letter queues (visible); tenants' inbound messages refused",
        width: 8,
        left: [
          { source: 'queue', metric: 'ApproximateNumberOfMessagesVisible', queues: 'dead-letter', stat: 'Maximum' },
        ],
        // Messages of tenants' inbound queues that were no batch request: dropped, never dead-lettered.
        right: [platform('InboundMessagesRejected', 'Sum', 'Inbound messages refused')],
      },
    ],
  },
  {
    title: 'Webhooks',
    panels: [
      {
        title: 'Webhook attempts per minute: delivered vs failed',
        width: 6,
        left: [platform('AttemptsDelivered', 'Sum', 'Delivered'), platform('AttemptsFailed', 'Sum', 'Failed')],
      },
      {
        title: 'Webhook attempt duration (p50, p99, ms)',
        width: 6,
        left: [platform('AttemptDuration', 'p50', 'p50'), platform('AttemptDuration', 'p99', 'p99')],
      },
      {
        title: 'Dead-lettered, disabled, parked, held; breakers; maintenance',
        width: 6,
        periodSeconds: 300,
        left: [
          platform('MessagesDeadLettered', 'Sum', 'Dead-lettered'),
          platform('EndpointsDisabled', 'Sum', 'Endpoints disabled'),
          platform('MessagesParked', 'Sum', 'Parked'),
          platform('MessagesHeldInTable', 'Sum', 'Held in the table'),
          platform('BreakerOpened', 'Sum', 'Breakers opened'),
          platform('BreakerClosed', 'Sum', 'Breakers closed'),
          platform('DeliveriesHeldForMaintenance', 'Sum', 'Held for a maintenance window'),
          platform('MaintenanceNoticesWritten', 'Sum', 'Maintenance notices written'),
        ],
        right: [platform('QueuedMessageWaitingSeconds', 'Maximum', 'Longest wait on the queue (s)')],
      },
      {
        title: 'Delivery queue and DLQ depth',
        width: 6,
        left: [
          {
            source: 'queue',
            metric: 'ApproximateNumberOfMessagesVisible',
            queues: ['webhookDelivery'],
            stat: 'Maximum',
            label: 'Delivery queue: visible',
          },
          {
            source: 'queue',
            metric: 'ApproximateNumberOfMessagesNotVisible',
            queues: ['webhookDelivery'],
            stat: 'Maximum',
            label: 'Delivery queue: in flight (retrying)',
          },
          {
            source: 'queue',
            metric: 'ApproximateNumberOfMessagesVisible',
            queues: ['webhookDeliveryDlq'],
            stat: 'Maximum',
            label: 'DLQ',
          },
        ],
      },
    ],
  },
  {
    title: 'Data sharing',
    panels: [
      {
        title: 'Event consumers: lag at reads (max, p50, s) and exports behind their window (max, s)',
        width: 12,
        left: [
          platform('ConsumerLagSeconds', 'Maximum', 'Consumer lag, max'),
          platform('ConsumerLagSeconds', 'p50', 'Consumer lag, p50'),
          platform('ExportLagSeconds', 'Maximum', 'Export lag, max'),
        ],
        right: [platform('ConsumerEventsRead', 'Sum', 'Events read by consumers')],
      },
      {
        title: 'Raw events to the lake: records in, delivered; freshness (s)',
        width: 12,
        left: [
          { source: 'lake', metric: 'IncomingRecords', stat: 'Sum', label: 'Records in' },
          { source: 'lake', metric: 'DeliveryToS3.Records', stat: 'Sum', label: 'Delivered to S3' },
        ],
        right: [{ source: 'lake', metric: 'DeliveryToS3.DataFreshness', stat: 'Maximum', label: 'Freshness (s)' }],
      },
    ],
  },
];
