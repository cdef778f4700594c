/**
 * First line of the SSRF guard, applied when an endpoint is registered: https only, no
 * credentials in the URL. The twin may allow http to loopback by explicit configuration.
 * (Resolving the host and rejecting private ranges at registration and every send is the
 * webhook capability's own work.)
 */
export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function checkWebhookUrl(raw: string, options: { allowLoopbackHttp: boolean }): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL are not allowed' };
  if (url.protocol === 'https:') return { ok: true, url };
  if (url.protocol === 'http:' && options.allowLoopbackHttp && (LOOPBACK_HOSTS.has(url.hostname) || /^127\./.test(url.hostname))) {
    return { ok: true, url };
  }
  return { ok: false, reason: 'only https URLs are allowed' };
}
