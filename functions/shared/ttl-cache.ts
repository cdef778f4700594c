import type { Clock } from './clock';

/**
 * A per-container cache of values that change rarely and are read often (a tenant's webhook
 * endpoints, its programme): each key is loaded at most once per `ttlMs` of the clock's time, so
 * the TTL bounds how long a change takes to apply. Callers that find a key missing or expired while
 * it loads share that load (a burst at expiry is one read, not one per caller); a failed load is
 * not kept, so the next caller loads again.
 * @example const settings = ttlCache((tenantId) => store.get(tenantId), 30_000, systemClock); await settings.get('t1');
 */
export function ttlCache<T>(load: (key: string) => Promise<T>, ttlMs: number, clock: Clock) {
  const entries = new Map<string, { atMs: number; value: T }>();
  const loading = new Map<string, Promise<T>>();
  const nowMs = () => clock.now().getTime();
  return {
    get(key: string): Promise<T> {
      const hit = entries.get(key);
      if (hit && nowMs() - hit.atMs < ttlMs) return Promise.resolve(hit.value);
      let pending = loading.get(key);
      if (!pending) {
        pending = load(key)
          .then((value) => {
            entries.set(key, { atMs: nowMs(), value });
            return value;
          })
          .finally(() => loading.delete(key));
        loading.set(key, pending);
      }
      return pending;
    },
  };
}
