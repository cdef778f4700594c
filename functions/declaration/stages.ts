/**
 * What differs between stages, in one typed place: alarm thresholds, throttles, retention, log levels, lake
 * buffering, removal policies, the alarm email and how releases roll out. `dev`, `staging` and `prod` are the
 * promoted stages (the delivery pipeline runs them in that order); any other stage name (a developer's own
 * `-c stage=alice`, the tests' `test`, the twin's `local`) gets the dev settings.
 *
 * Plain data only: the CDK stacks, the twin and the functions all read it.
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
  /** Errors of a function's live alias per minute above this roll a release back (0: any). */
  readonly functionErrorsPerMinute: number;
  /** Throttles of a function's live alias per minute above this roll a release back. */
  readonly functionThrottlesPerMinute: number;
}

/**
 * How CodeDeploy moves a function's `live` alias to a new version: all at once, a canary share for some minutes
 * then the rest, or equal steps. Only shapes CodeDeploy predefines for Lambda are allowed (`deploymentConfigName`).
 */
export type TrafficShift =
  | { readonly kind: 'allAtOnce' }
  | { readonly kind: 'canary'; readonly percent: 10; readonly minutes: 5 | 10 | 15 | 30 }
  | { readonly kind: 'linear'; readonly percent: 10; readonly everyMinutes: 1 | 2 | 3 | 10 };

export interface DeploymentSettings {
  readonly traffic: TrafficShift;
  /**
   * A deployment whose alarms (the alias's errors and throttles, the API's 5xx and p99 latency) go off while it
   * runs is rolled back to the previous version; so is one that fails.
   */
  readonly rollbackOnAlarm: boolean;
}

export interface StageSettings {
  readonly alarms: AlarmThresholds;
  /** Where alarm notifications go; `-c alarmEmail=…` overrides it. */
  readonly alarmEmail?: string;
  /** The API stage's default throttle (per account-region stage, before per-tenant usage plans). */
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  /** Every log group of the stage (functions, API access logs, Firehose) and the lake's access-log files. */
  readonly logRetentionDays: number;
  /** POWERTOOLS_LOG_LEVEL of every function. */
  readonly logLevel: LogLevel;
  /** Firehose buffering of the raw-event lake (dynamic partitioning: 64–128 MiB, 60–900 s). */
  readonly lakeBuffering: { readonly intervalSeconds: number; readonly sizeMiB: number };
  /** `retain` keeps data stores (table, keys, buckets, queues) when the stack goes; `destroy` removes them. */
  readonly removalPolicy: 'retain' | 'destroy';
  /** How a release reaches each function (CodeDeploy, per function alias). */
  readonly deployment: DeploymentSettings;
}

/** Webhooks retry for about 28 hours and endpoints are disabled after 5 days: past 6 days nothing should wait. */
const WEBHOOK_WAITING_DAYS = 6;

/**
 * A developer's playground: short-lived logs at DEBUG, small lake files soon, data stores that go with the stack
 * (so a dev stack can be torn down), releases at once, looser paging.
 */
const devSettings: StageSettings = {
  alarms: {
    iteratorAgeMs: 15 * 60 * 1000,
    lakeFreshnessSeconds: 900,
    webhookWaitingDays: WEBHOOK_WAITING_DAYS,
    apiLatencyP99Ms: 3000,
    api5xxPerFiveMinutes: 10,
    functionErrorsPerMinute: 5,
    functionThrottlesPerMinute: 10,
  },
  throttling: { rateLimit: 100, burstLimit: 200 },
  logRetentionDays: 14,
  logLevel: 'DEBUG',
  lakeBuffering: { intervalSeconds: 60, sizeMiB: 64 },
  removalPolicy: 'destroy',
  deployment: { traffic: { kind: 'allAtOnce' }, rollbackOnAlarm: true },
};

/** A rehearsal of prod: its data stores kept, releases in steps so a bad one shows before it is everywhere. */
const stagingSettings: StageSettings = {
  alarms: {
    iteratorAgeMs: 10 * 60 * 1000,
    lakeFreshnessSeconds: 900,
    webhookWaitingDays: WEBHOOK_WAITING_DAYS,
    apiLatencyP99Ms: 2000,
    api5xxPerFiveMinutes: 5,
    functionErrorsPerMinute: 1,
    functionThrottlesPerMinute: 5,
  },
  throttling: { rateLimit: 500, burstLimit: 1000 },
  logRetentionDays: 90,
  logLevel: 'INFO',
  lakeBuffering: { intervalSeconds: 120, sizeMiB: 96 },
  removalPolicy: 'retain',
  deployment: { traffic: { kind: 'linear', percent: 10, everyMinutes: 1 }, rollbackOnAlarm: true },
};

/**
 * Live tenants: a year of logs for audits, larger lake files (Snowflake prefers 100–250 MB), everything kept, a
 * 10 % canary for 5 minutes before the rest, and any function error during it rolls the release back.
 */
const prodSettings: StageSettings = {
  alarms: {
    iteratorAgeMs: 5 * 60 * 1000,
    lakeFreshnessSeconds: 900,
    webhookWaitingDays: WEBHOOK_WAITING_DAYS,
    apiLatencyP99Ms: 1500,
    api5xxPerFiveMinutes: 2,
    functionErrorsPerMinute: 0,
    functionThrottlesPerMinute: 5,
  },
  throttling: { rateLimit: 1000, burstLimit: 2000 },
  logRetentionDays: 365,
  logLevel: 'INFO',
  lakeBuffering: { intervalSeconds: 300, sizeMiB: 128 },
  removalPolicy: 'retain',
  deployment: { traffic: { kind: 'canary', percent: 10, minutes: 5 }, rollbackOnAlarm: true },
};

export const stageSettings: Record<PromotedStage, StageSettings> = {
  dev: devSettings,
  staging: stagingSettings,
  prod: prodSettings,
};

/** The settings of a stage: a promoted stage's own, any other stage the dev ones. */
export function stageSettingsFor(stage: string): StageSettings {
  return promotedStages.includes(stage as PromotedStage) ? stageSettings[stage as PromotedStage] : devSettings;
}

/**
 * The name of CodeDeploy's predefined Lambda deployment configuration for a traffic shift.
 * @example
 * deploymentConfigName({ kind: 'canary', percent: 10, minutes: 5 })
 * // => 'CodeDeployDefault.LambdaCanary10Percent5Minutes'
 */
export function deploymentConfigName(traffic: TrafficShift): string {
  switch (traffic.kind) {
    case 'allAtOnce':
      return 'CodeDeployDefault.LambdaAllAtOnce';
    case 'canary':
      return `CodeDeployDefault.LambdaCanary${traffic.percent}Percent${traffic.minutes}Minutes`;
    case 'linear':
      return (
        `CodeDeployDefault.LambdaLinear${traffic.percent}PercentEvery${traffic.everyMinutes}` +
        (traffic.everyMinutes === 1 ? 'Minute' : 'Minutes')
      );
  }
}

/** The longest lake buffer of any stage: what sizes the lake's active partitions (aws-limits test). */
export const longestLakeBufferSeconds = Math.max(
  ...promotedStages.map((stage) => stageSettings[stage].lakeBuffering.intervalSeconds),
);
