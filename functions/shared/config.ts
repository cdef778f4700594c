import { z } from 'zod';

/**
 * The one config loader. Functions read their settings from environment variables that the CDK
 * stacks (deployed) or the local twin set from the same topology declaration; a setting is
 * validated when first read, so a function fails fast and clearly when it is missing.
 */
const settings = {
  TABLE_NAME: z.string().min(1),
  DELIVERY_QUEUE_URL: z.string().url(),
  RAW_EVENTS_STREAM_NAME: z.string().min(1),
  STAGE: z.string().min(1).default('dev'),
  /** Only the local twin sets this: lets webhook endpoints use http:// on loopback addresses. */
  WEBHOOK_ALLOW_LOOPBACK_HTTP: z.enum(['true', 'false']).default('false'),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(15_000),
  SUBSCRIPTION_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(5_000),
  PUBLIC_BASE_URL: z.string().url().optional(),
} as const;

type Settings = typeof settings;
export type SettingName = keyof Settings;

const cache = new Map<SettingName, unknown>();

export function setting<K extends SettingName>(name: K): z.output<Settings[K]> {
  if (cache.has(name)) return cache.get(name) as z.output<Settings[K]>;
  const parsed = settings[name].safeParse(process.env[name]);
  if (!parsed.success) {
    throw new Error(`Configuration ${name} is missing or invalid: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  cache.set(name, parsed.data);
  return parsed.data as z.output<Settings[K]>;
}

/** Tests and the local twin change the environment between runs; this forgets what was read. */
export function resetConfigCache(): void {
  cache.clear();
}
