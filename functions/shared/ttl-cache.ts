import type { Clock } from './clock';

/**
 * A per-container cache of values that change rarely and are read often (a tenant's webhook
 * endpoints, its programme): each key is loaded at most once per `ttlMs` of the clock's time, so
 * the TTL bounds how long a change takes to apply.
 * @example const settings = ttlCache((tenantId) => store.get(tenantId), 30_000, systemClock); await settings.get('t1');
 */
export function ttlCache<T>(load: (key: string) => Promise<T>, ttlMs: number, clock: Clock) {
  const entries = new Map<string, { atMs: number; value: T }>();
  const nowMs = () => clock.now().getTime();
  return {
    async get(key: string): Promise<T> {
      const hit = entries.get(key);
      if (hit && nowMs() - hit.atMs < ttlMs) return hit.value;
      const value = await load(key);
      entries.set(key, { atMs: nowMs(), value });
      return value;
    },
  };
}
