import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import type { Resolver } from '../domain/webhooks/ssrf-guard';

/** The SSRF guard's DNS port over the system's resolver: the guard itself does no I/O. */
export const DEFAULT_DNS_TIMEOUT_MS = 2000;

/**
 * A resolver over the system's `getaddrinfo` (the same answers a plain client would connect to,
 * /etc/hosts included), bounded by `timeoutMs`. A lookup cannot be cancelled, so on timeout the
 * promise rejects with a `TimeoutError` and the lookup finishes unobserved in the thread pool.
 * `lookupAll` is the seam for tests.
 * @example
 * const resolver = createSystemResolver({ timeoutMs: 500 });
 * await checkWebhookTarget(url, { allowLoopbackHttp: false, resolver });
 */
export function createSystemResolver(
  options: { timeoutMs?: number; lookupAll?: (hostname: string) => Promise<LookupAddress[]> } = {},
): Resolver {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS;
  // `order: 'verbatim'` is the current spelling of the deprecated `verbatim: true`.
  const lookupAll = options.lookupAll ?? ((hostname: string) => lookup(hostname, { all: true, order: 'verbatim' }));
  return async (hostname) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new DOMException(`DNS lookup of ${hostname} timed out after ${timeoutMs} ms`, 'TimeoutError'));
      }, timeoutMs);
    });
    try {
      const records = await Promise.race([lookupAll(hostname), timeout]);
      return records.map((record) => record.address);
    } finally {
      clearTimeout(timer);
    }
  };
}

export const systemResolver: Resolver = createSystemResolver();
