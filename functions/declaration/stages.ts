/**
 * What differs between stages, in one typed place: alarm thresholds, throttles, retention, log levels, lake
 * buffering, removal policies, the alarm email and how releases roll out. `dev`, `staging` and `prod` are the
 * promoted stages (the delivery pipeline runs them in that order); any other stage name (a developer's own
 * `-c stage=alice`) gets the dev settings.
 */

export type PromotedStage = 'dev' | 'staging' | 'prod';
export const promotedStages: readonly PromotedStage[] = ['dev', 'staging', 'prod'];

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface AlarmThresholds {
  /** A stream consumer this far behind (iterator age) is stuck or starved. */
  readonly iteratorAgeMs: number;
  /** Raw events older than this in Firehose are not being delivered. */
  readonly lakeFreshnessSeconds: number;
  /** Queued webhook messages older than this since their event are past every legitimate wait. */
  readonly webhookWaitingDays: number;
  /** API p99 latency above this for the evaluation periods pages (and rolls a release back). */
  readonly apiLatencyP99Ms: number;
  /** API 5xx responses per five minutes above this pages (0: any). */
  readonly api5xxPerFiveMinutes: number;
}

export interface StageSettings {
  readonly alarms: AlarmThresholds;
  /** Where alarm notifications go; `-c alarmEmail=…` overrides it. */
  readonly alarmEmail?: string;
  /** The API stage's default throttle (per account-region stage, before per-tenant usage plans). */
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  readonly logRetentionDays: number;
  readonly logLevel: LogLevel;
  /** Firehose buffering of the raw-event lake (dynamic partitioning: 64–128 MiB, 60–900 s). */
  readonly lakeBuffering: { readonly intervalSeconds: number; readonly sizeMiB: number };
  /** `retain` keeps data stores (table, keys, buckets, queues) when the stack goes; `destroy` removes them. */
  readonly removalPolicy: 'retain' | 'destroy';
}

const devSettings: StageSettings = {
  alarms: {
    iteratorAgeMs: 5 * 60 * 1000,
    lakeFreshnessSeconds: 900,
    webhookWaitingDays: 6,
    apiLatencyP99Ms: 2000,
    api5xxPerFiveMinutes: 0,
  },
  throttling: { rateLimit: 500, burstLimit: 1000 },
  logRetentionDays: 30,
  logLevel: 'INFO',
  lakeBuffering: { intervalSeconds: 60, sizeMiB: 64 },
  removalPolicy: 'retain',
};

export const stageSettings: Record<PromotedStage, StageSettings> = {
  dev: devSettings,
  staging: devSettings,
  prod: devSettings,
};

/** The settings of a stage: a promoted stage's own, any other stage the dev ones. */
export function stageSettingsFor(stage: string): StageSettings {
  return promotedStages.includes(stage as PromotedStage) ? stageSettings[stage as PromotedStage] : devSettings;
}
