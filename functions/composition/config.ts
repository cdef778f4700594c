import { DEFAULT_RETRY_SCHEDULE, MAX_WAIT_SECONDS, parseSchedule } from '../domain/webhooks/delivery-policy';
import { MAX_WAITING_PER_ENDPOINT } from '../domain/webhooks/parking';
import { api } from '../declaration/topology';
import { IMPORT_MAX_RATE } from '../domain/imports';

/**
 * How one setting is read from its variable (undefined when unset): its value, or an Error saying what was expected.
 * Plain functions rather than zod schemas: every function reads its settings, so a schema library here would sit in
 * every bundle (and build its schemas at every cold start) for a few lines of checks.
 */
type Reader<T> = (raw: string | undefined) => T;

const invalid = (expected: string): never => {
  throw new Error(`expected ${expected}`);
};
const text: Reader<string> = (raw) => (raw ? raw : invalid('a non-empty string'));
const url: Reader<string> = (raw) => (raw !== undefined && URL.canParse(raw) ? raw : invalid('a URL'));
const flag: Reader<boolean> = (raw) => (raw === 'true' || raw === 'false' ? raw === 'true' : invalid('true or false'));
const matching =
  (pattern: RegExp): Reader<string> =>
  (raw) =>
    raw !== undefined && pattern.test(raw) ? raw : invalid(`a string matching ${pattern}`);
/** A number (integer unless `fraction`) from `min` to `max`, as `Number` reads the text. */
const number =
  (min: number, max = Number.MAX_SAFE_INTEGER, fraction = false): Reader<number> =>
  (raw) => {
    const value = Number(raw);
    const whole = Number.isSafeInteger(value) || (fraction && Number.isFinite(value));
    return whole && value >= min && value <= max
      ? value
      : invalid(`${fraction ? 'a number' : 'an integer'} from ${min} to ${max}`);
  };
/** The reader's value, or `fallback` when the variable is unset. */
const orDefault =
  <T>(read: Reader<T>, fallback: T): Reader<T> =>
  (raw) =>
    raw === undefined ? fallback : read(raw);
const optional =
  <T>(read: Reader<T>): Reader<T | undefined> =>
  (raw) =>
    raw === undefined ? undefined : read(raw);

/**
 * The one config loader. Functions read their settings from environment variables that the CDK
 * stacks (deployed) or the local twin set from the same topology declaration; a setting is
 * validated when first read, so a function fails fast and clearly when it is missing.
 */
const settings = {
  TABLE_NAME: text,
  DELIVERY_QUEUE_URL: url,
  RAW_EVENTS_STREAM_NAME: text,
  /** The lake bucket: scheduled exports write their files under `exports/` there. */
  LAKE_BUCKET_NAME: text,
  /** Only the twin sets this: its S3 stand-in serves buckets by path. */
  S3_FORCE_PATH_STYLE: orDefault(flag, false),
  STAGE: orDefault(text, 'dev'),
  /** Only the local twin sets this: lets webhook endpoints use http:// on loopback addresses. */
  WEBHOOK_ALLOW_LOOPBACK_HTTP: orDefault(flag, false),
  WEBHOOK_TIMEOUT_MS: orDefault(number(100, 30_000), 15_000),
  SUBSCRIPTION_CACHE_TTL_MS: orDefault(number(0, 300_000), 5_000),
  /** How long the lake router keeps a tenant's lake settings and opened key: a change applies within it. */
  LAKE_SETTINGS_CACHE_TTL_MS: orDefault(number(0, 300_000), 30_000),
  /** How long the authorizer trusts a verified credential (see `api.credentialCacheTtlSeconds`); tests shorten it. */
  AUTHORIZER_CACHE_TTL_MS: orDefault(
    number(0, api.credentialCacheTtlSeconds * 1000),
    api.credentialCacheTtlSeconds * 1000,
  ),
  PUBLIC_BASE_URL: optional(url),
  /** The master key of webhook signing secrets: a KMS key ARN deployed, `local:<base64>` on the twin. */
  WEBHOOK_SECRETS_KEY: text,
  /** Where tenants are throttled: `api-gateway:<rest api id>/<stage>` deployed, `local` on the twin. */
  TENANT_THROTTLING: matching(/^(local|api-gateway:[a-z0-9]+\/[\w-]+)$/),
  /** The API's public base URL as access tokens name their issuer (`iss`); their audience is its `/v1`. */
  TOKEN_ISSUER: url,
  /** The KMS key (ARN) that signs access tokens; on the twin `local:` and its generated key (PKCS#8 PEM, base64url). */
  TOKEN_SIGNING_KEY: text,
  /** Every KMS key (ARNs, comma-separated) whose public key verifies tokens; on the twin `local:` and its JWKS. */
  TOKEN_PUBLIC_KEYS: text,
  /** Where the delivery function puts a message after its last attempt (with its full payload). */
  DEAD_LETTER_QUEUE_URL: url,
  /** Waits between attempts: `5s,5m,30m,2h,5h,10h,10h` makes 8 attempts over about 28 hours. */
  WEBHOOK_RETRY_SCHEDULE: (raw: string | undefined) => parseSchedule(raw ?? DEFAULT_RETRY_SCHEDULE),
  WEBHOOK_RETRY_JITTER: orDefault(number(0, 0.5, true), 0.2),
  WEBHOOK_BREAKER_FAILURES: orDefault(number(1, 1000), 10),
  WEBHOOK_BREAKER_OPEN_SECONDS: orDefault(number(1, 3600), 30),
  WEBHOOK_BREAKER_MAX_OPEN_SECONDS: orDefault(number(1, MAX_WAIT_SECONDS), 900),
  /** An endpoint with no success for this long is disabled (default 5 days, as Svix). */
  WEBHOOK_DISABLE_AFTER_SECONDS: orDefault(number(1), 5 * 86_400),
  WEBHOOK_DRAIN_RAMP_SECONDS: orDefault(number(1, 3600), 60),
  WEBHOOK_DRAIN_MAX_PER_SECOND: orDefault(number(1, 1000), 50),
  /**
   * Messages of one endpoint that may wait in flight on the queue; the rest are parked (tests scale it
   * down, never up).
   */
  WEBHOOK_MAX_WAITING_PER_ENDPOINT: orDefault(number(1, MAX_WAITING_PER_ENDPOINT), MAX_WAITING_PER_ENDPOINT),
  /** How long messages, attempts and dead letters stay queryable. */
  WEBHOOK_LOG_RETENTION_DAYS: orDefault(number(1, 400), 30),
  /** The queue that carries backfill slices (the API starts a backfill there, each slice chains the next). */
  BACKFILL_QUEUE_URL: url,
  /** The FIFO queue that carries batches' commands, one group per member (the API sends, the worker applies). */
  BATCH_QUEUE_URL: url,
  /** The inbound worker that tenants' inbound queues are mapped to (its `live` alias deployed). */
  INBOUND_WORKER_ARN: text,
  /** The queue that carries import steps (the API starts a job there, each step chains the next). */
  IMPORT_QUEUE_URL: url,
  /** The imports bucket: inputs and error reports under `imports/<tenant>/<import id>/`. */
  IMPORTS_BUCKET_NAME: text,
  /** The platform's maximum rows per second of one import job (a tenant asks for its own rate below it). */
  IMPORT_MAX_ROWS_PER_SECOND: orDefault(number(1, 100_000), IMPORT_MAX_RATE),
} as const;

type Settings = typeof settings;
export type SettingName = keyof Settings;

/** Every setting a function may be given (the twin passes its own overrides of these on). */
export const SETTING_NAMES = Object.keys(settings) as SettingName[];

const cache = new Map<SettingName, unknown>();

export function setting<K extends SettingName>(name: K): ReturnType<Settings[K]> {
  if (cache.has(name)) return cache.get(name) as ReturnType<Settings[K]>;
  let value: ReturnType<Settings[K]>;
  try {
    value = settings[name](process.env[name]) as ReturnType<Settings[K]>;
  } catch (error) {
    throw new Error(`Configuration ${name} is missing or invalid: ${(error as Error).message}`, { cause: error });
  }
  cache.set(name, value);
  return value;
}

/** Tests and the local twin change the environment between runs; this forgets what was read. */
export function resetConfigCache(): void {
  cache.clear();
}
