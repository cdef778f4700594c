import type { Clock } from './clock';

/**
 * A per-container cache whose entries each carry their own end of validity, with a bound on how many it holds
 * (the oldest entry goes first), so callers with ever new keys cannot grow it without limit.
 * @example const seen = expiringCache<string>(systemClock, 10_000); seen.set('k', 'v', Date.now() + 30_000);
 */
export function expiringCache<T>(clock: Clock, maxEntries: number) {
  const entries = new Map<string, { untilMs: number; value: T }>();
  return {
    get(key: string): T | undefined {
      const hit = entries.get(key);
      if (!hit) return undefined;
      if (hit.untilMs > clock.now().getTime()) return hit.value;
      entries.delete(key);
      return undefined;
    },
    set(key: string, value: T, untilMs: number): void {
      entries.delete(key);
      if (untilMs <= clock.now().getTime()) return;
      entries.set(key, { untilMs, value });
      const oldest = entries.keys().next();
      if (entries.size > maxEntries && !oldest.done) entries.delete(oldest.value);
    },
  };
}
