/**
 * A per-container cache of values that change rarely and are read often (a tenant's webhook
 * endpoints, its programme): each key is loaded at most once per `ttlMs`, so the TTL bounds how
 * long a change takes to apply.
 * @example const settings = ttlCache((tenantId) => store.get(tenantId), 30_000); await settings.get('t1');
 */
export function ttlCache<T>(load: (key: string) => Promise<T>, ttlMs: number, nowMs: () => number = Date.now) {
  const entries = new Map<string, { at: number; value: T }>();
  return {
    async get(key: string): Promise<T> {
      const hit = entries.get(key);
      if (hit && nowMs() - hit.at < ttlMs) return hit.value;
      const value = await load(key);
      entries.set(key, { at: nowMs(), value });
      return value;
    },
  };
}
