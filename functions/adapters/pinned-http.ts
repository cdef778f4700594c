import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

export interface PinnedPost {
  headers: Record<string, string>;
  body: string;
  /** Budget for the whole exchange: connect, TLS, headers and body. */
  timeoutMs: number;
  /** The body is cut at this many bytes and the connection dropped; a long body is not an error. */
  maxResponseBytes: number;
}

export interface PinnedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  durationMs: number;
}

/**
 * POSTs to `url` over a connection to `address`, an address `checkWebhookTarget` has already
 * validated, so DNS is never consulted again (no rebinding between check and connect). TLS SNI,
 * certificate checks and the Host header still use the URL's host name; HTTPS takes TLS 1.2 or
 * later. Redirects are returned, not followed. Each call opens its own connection: a pooled
 * socket could lead to another address. Rejects with a `TimeoutError` once `timeoutMs` has passed.
 * @example
 * const target = await checkWebhookTarget(raw, { allowLoopbackHttp: false });
 * if (target.ok) await postPinned(target.url, target.addresses[0]!, { headers, body, timeoutMs: 5000, maxResponseBytes:
 * 4096 });
 */
export function postPinned(url: URL, address: string, init: PinnedPost): Promise<PinnedResponse> {
  const family = isIP(address);
  if (family === 0) return Promise.reject(new TypeError(`pinned address ${address} is not an IP address`));
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return Promise.reject(new TypeError(`scheme ${url.protocol} is not supported`));
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // Node skips `lookup` for an address literal, so the literal itself must be the pinned address.
  if (isIP(hostname) !== 0 && hostname !== address) {
    return Promise.reject(new TypeError(`URL host ${hostname} is an address other than the pinned ${address}`));
  }

  // With autoSelectFamily (on by default) net asks for `all` addresses; without it, for one.
  const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };

  const started = performance.now();
  return new Promise<PinnedResponse>((resolve, reject) => {
    let settled = false;
    let response: IncomingMessage | undefined;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (error: Error): void => {
      settle(() => {
        reject(error);
      });
    };

    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send({
      protocol: url.protocol,
      hostname,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
      lookup: pinnedLookup,
      agent: false,
      // Explicit, not the runtime's default: a NODE_OPTIONS flag (--tls-min-v1.0) must not let a webhook fall back.
      ...(url.protocol === 'https:' ? { minVersion: 'TLSv1.2' as const } : {}),
    });

    const timer = setTimeout(() => {
      const error = new DOMException(`request to ${url.host} timed out after ${init.timeoutMs} ms`, 'TimeoutError');
      fail(error);
      response?.destroy();
      request.destroy();
    }, init.timeoutMs);

    request.on('error', fail);
    request.on('response', (incoming) => {
      response = incoming;
      const chunks: Buffer[] = [];
      let receivedBytes = 0;
      const finish = (): void => {
        settle(() => {
          resolve({
            status: incoming.statusCode ?? 0,
            headers: flattenHeaders(incoming.headers),
            body: Buffer.concat(chunks).toString('utf8'),
            durationMs: Math.round(performance.now() - started),
          });
        });
      };
      incoming.on('data', (chunk: Buffer) => {
        const roomBytes = init.maxResponseBytes - receivedBytes;
        if (chunk.length < roomBytes) {
          chunks.push(chunk);
          receivedBytes += chunk.length;
          return;
        }
        chunks.push(chunk.subarray(0, roomBytes));
        receivedBytes += roomBytes;
        finish();
        incoming.destroy();
      });
      incoming.on('end', finish);
      incoming.on('error', fail);
      // A connection dropped mid-body ends in 'close' without 'end'; never leave the caller waiting.
      incoming.on('close', () => {
        fail(new Error(`response from ${url.host} ended before it was complete`));
      });
    });
    request.end(init.body);
  });
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
