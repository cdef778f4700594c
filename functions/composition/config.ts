import { z } from 'zod';
import { DEFAULT_RETRY_SCHEDULE, MAX_WAIT_SECONDS, parseSchedule } from '../domain/webhooks/delivery-policy';
import { MAX_WAITING_PER_ENDPOINT } from '../domain/webhooks/parking';
import { api } from '../declaration/topology';

/**
 * The one config loader. Functions read their settings from environment variables that the CDK
 * stacks (deployed) or the local twin set from the same topology declaration; a setting is
 * validated when first read, so a function fails fast and clearly when it is missing.
 */
const settings = {
  TABLE_NAME: z.string().min(1),
  DELIVERY_QUEUE_URL: z.url(),
  RAW_EVENTS_STREAM_NAME: z.string().min(1),
  /** The lake bucket: scheduled exports write their files under `exports/` there. */
  LAKE_BUCKET_NAME: z.string().min(1),
  /** Only the twin sets this: its S3 stand-in serves buckets by path. */
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  STAGE: z.string().min(1).default('dev'),
  /** Only the local twin sets this: lets webhook endpoints use http:// on loopback addresses. */
  WEBHOOK_ALLOW_LOOPBACK_HTTP: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(15_000),
  SUBSCRIPTION_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(5_000),
  /** How long the lake router keeps a tenant's lake settings and opened key: a change applies within it. */
  LAKE_SETTINGS_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(30_000),
  /** How long the authorizer trusts a verified credential (see `api.credentialCacheTtlSeconds`); tests shorten it. */
  AUTHORIZER_CACHE_TTL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(api.credentialCacheTtlSeconds * 1000)
    .default(api.credentialCacheTtlSeconds * 1000),
  PUBLIC_BASE_URL: z.url().optional(),
  /** The master key of webhook signing secrets: a KMS key ARN deployed, `local:<base64>` on the twin. */
  WEBHOOK_SECRETS_KEY: z.string().min(1),
  /** Where tenants are throttled: `api-gateway:<rest api id>/<stage>` deployed, `local` on the twin. */
  TENANT_THROTTLING: z.string().regex(/^(local|api-gateway:[a-z0-9]+\/[\w-]+)$/),
  /** The API's public base URL as access tokens name their issuer (`iss`); their audience is its `/v1`. */
  TOKEN_ISSUER: z.url(),
  /** The KMS key (ARN) that signs access tokens; on the twin `local:` and its generated key (PKCS#8 PEM, base64url). */
  TOKEN_SIGNING_KEY: z.string().min(1),
  /** Every KMS key (ARNs, comma-separated) whose public key verifies tokens; on the twin `local:` and its JWKS. */
  TOKEN_PUBLIC_KEYS: z.string().min(1),
  /** Where the delivery function puts a message after its last attempt (with its full payload). */
  DEAD_LETTER_QUEUE_URL: z.url(),
  /** Waits between attempts: `5s,5m,30m,2h,5h,10h,10h` makes 8 attempts over about 28 hours. */
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default(DEFAULT_RETRY_SCHEDULE)
    .transform((text, ctx) => {
      try {
        return parseSchedule(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  WEBHOOK_RETRY_JITTER: z.coerce.number().min(0).max(0.5).default(0.2),
  WEBHOOK_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1000).default(10),
  WEBHOOK_BREAKER_OPEN_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  WEBHOOK_BREAKER_MAX_OPEN_SECONDS: z.coerce.number().int().min(1).max(MAX_WAIT_SECONDS).default(900),
  /** An endpoint with no success for this long is disabled (default 5 days, as Svix). */
  WEBHOOK_DISABLE_AFTER_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(5 * 86_400),
  WEBHOOK_DRAIN_RAMP_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  WEBHOOK_DRAIN_MAX_PER_SECOND: z.coerce.number().int().min(1).max(1000).default(50),
  /**
   * Messages of one endpoint that may wait in flight on the queue; the rest are parked (tests scale it
   * down, never up).
   */
  WEBHOOK_MAX_WAITING_PER_ENDPOINT: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_WAITING_PER_ENDPOINT)
    .default(MAX_WAITING_PER_ENDPOINT),
  /** How long messages, attempts and dead letters stay queryable. */
  WEBHOOK_LOG_RETENTION_DAYS: z.coerce.number().int().min(1).max(400).default(30),
  /** The queue that carries backfill slices (the API starts a backfill there, each slice chains the next). */
  BACKFILL_QUEUE_URL: z.url(),
} as const;

type Settings = typeof settings;
export type SettingName = keyof Settings;

/** Every setting a function may be given (the twin passes its own overrides of these on). */
export const SETTING_NAMES = Object.keys(settings) as SettingName[];

const cache = new Map<SettingName, unknown>();

export function setting<K extends SettingName>(name: K): z.output<Settings[K]> {
  if (cache.has(name)) return cache.get(name) as z.output<Settings[K]>;
  const parsed = settings[name].safeParse(process.env[name]);
  if (!parsed.success) {
    throw new Error(
      `Configuration ${name} is missing or invalid: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
    );
  }
  cache.set(name, parsed.data);
  return parsed.data as z.output<Settings[K]>;
}

/** Tests and the local twin change the environment between runs; this forgets what was read. */
export function resetConfigCache(): void {
  cache.clear();
}
