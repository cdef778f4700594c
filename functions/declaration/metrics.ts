/**
 * The platform's own metrics, declared once. The functions emit them as CloudWatch embedded metric format
 * (Powertools Metrics, `functions/shared/metrics.ts`); the CloudWatch dashboard and alarms (`lib/constructs/`)
 * and the twin's status page (`local/`) read them by these names. Renaming one here renames it everywhere, and
 * nothing depends on the wording of a log line.
 */
import type { FunctionId } from './topology';

/** Every metric lives in one namespace per stage, so stages sharing an account and region stay apart. */
export const metricsNamespace = (stage: string): string => `LoyaltyLedger/${stage}`;

/**
 * The one dimension every platform metric carries (Powertools' `service`): fixed, so the dashboard can name the
 * metric exactly. No tenant, endpoint or consumer dimension: a metric per tenant would cost per tenant-month;
 * the log line next to each figure names the tenant behind a spike (Logs Insights).
 */
export const metricsService = 'loyalty-ledger';
export const METRICS_SERVICE_DIMENSION = 'service';

export type PlatformMetricUnit = 'Count' | 'Milliseconds' | 'Seconds';

export interface PlatformMetricSpec {
  readonly unit: PlatformMetricUnit;
  /** Who emits it: a function whose code never emits a declared metric is a drift the tests catch. */
  readonly emittedBy: readonly FunctionId[];
  readonly description: string;
}

export const platformMetrics = {
  // The ledger: counted once per committed change (an idempotent replay of a request counts nothing).
  MembersEnrolled: { unit: 'Count', emittedBy: ['api'], description: 'Members enrolled.' },
  EarnTransactions: {
    unit: 'Count',
    emittedBy: ['api'],
    description: 'Earnings committed (one per points.earned: points on a transaction, or credited).',
  },
  PointsEarned: { unit: 'Count', emittedBy: ['api'], description: 'Points earned (sum over earnings).' },
  Redemptions: { unit: 'Count', emittedBy: ['api'], description: 'Rewards redeemed.' },
  PointsRedeemed: {
    unit: 'Count',
    emittedBy: ['api'],
    description: 'Points spent (on rewards, or redeemed directly).',
  },
  TierChanges: {
    unit: 'Count',
    emittedBy: ['api', 'housekeeping'],
    description: 'Members promoted (on qualifying points) or demoted (by housekeeping, at the end of a period).',
  },

  // Webhook delivery.
  AttemptsDelivered: { unit: 'Count', emittedBy: ['webhookDelivery'], description: 'Attempts answered 2xx.' },
  AttemptsFailed: {
    unit: 'Count',
    emittedBy: ['webhookDelivery'],
    description: 'Attempts that failed (non-2xx, timeout, refused target); routine for tenant endpoints.',
  },
  AttemptDuration: { unit: 'Milliseconds', emittedBy: ['webhookDelivery'], description: 'Duration of each attempt.' },
  MessagesDeadLettered: {
    unit: 'Count',
    emittedBy: ['webhookDelivery'],
    description: 'Messages put on the DLQ: attempts exhausted, receive limit reached, or unreadable.',
  },
  EndpointsDisabled: {
    unit: 'Count',
    emittedBy: ['webhookDelivery'],
    description: 'Endpoints disabled: answered 410 Gone, or failed for the whole disable period.',
  },
  MessagesParked: {
    unit: 'Count',
    emittedBy: ['webhookDelivery'],
    description: 'Messages for a disabled endpoint, parked as dead letters in the table.',
  },
  MessagesHeldInTable: {
    unit: 'Count',
    emittedBy: ['webhookDelivery'],
    description: "A failing endpoint's messages beyond its in-flight bound, moved off the queue to the table.",
  },
  QueuedMessageWaitingSeconds: {
    unit: 'Seconds',
    emittedBy: ['webhookDelivery'],
    description: 'How long a message waiting on the queue (retrying head, open breaker) has waited since its event.',
  },
  BreakerOpened: {
    unit: 'Count',
    emittedBy: ['webhookDelivery'],
    description: 'Endpoints whose circuit breaker opened (deliveries wait, retries are not spent).',
  },
  BreakerClosed: {
    unit: 'Count',
    emittedBy: ['webhookDelivery'],
    description: 'Endpoints whose circuit breaker closed again after a successful probe.',
  },
  DeliveriesHeldForMaintenance: {
    unit: 'Count',
    emittedBy: ['webhookDelivery'],
    description:
      'Deliveries put back because their endpoint is in a maintenance window (no attempt spent; counted per hold).',
  },
  MaintenanceNoticesWritten: {
    unit: 'Count',
    emittedBy: ['housekeeping'],
    description: "Platform maintenance notices written to tenants' event streams (each phase once per tenant).",
  },

  // Event feed and exports.
  ConsumerLagSeconds: {
    unit: 'Seconds',
    emittedBy: ['api'],
    description: "A named feed consumer's lag at each read: now minus its committed position.",
  },
  ConsumerEventsRead: { unit: 'Count', emittedBy: ['api'], description: 'Events handed out by consumer reads.' },
  ExportLagSeconds: {
    unit: 'Seconds',
    emittedBy: ['exports'],
    description: "How far behind its window's end each scheduled export file was written.",
  },
  // Tenants' inbound queues.
  InboundMessagesRejected: {
    unit: 'Count',
    emittedBy: ['inboundWorker'],
    description: "Messages of tenants' inbound queues that were no batch request: recorded and dropped.",
  },
} as const satisfies Record<string, PlatformMetricSpec>;

export type PlatformMetricName = keyof typeof platformMetrics;
