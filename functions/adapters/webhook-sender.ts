import type { WebhookSubscription } from '../domain/ports';
import { retryAfterSeconds } from '../domain/webhooks/delivery-policy';
import { callbackHeaders } from '../domain/webhooks/callback-config';
import { isChatEndpoint } from '../domain/webhooks/endpoint-types';
import { signingSecrets } from '../domain/webhooks/message';
import type { AttemptResult } from '../domain/webhooks/ports';
import { signedHeaders } from '../domain/webhooks/signature';
import { checkWebhookTarget, type Resolver } from '../domain/webhooks/ssrf-guard';
import { TokenError, type TokenSource } from './oauth-token-client';
import { postPinned } from './pinned-http';
import { systemResolver } from './system-resolver';
import { CORRELATION_ID_HEADER } from '../shared/correlation-id';
import { systemClock, type Clock } from '../shared/clock';
import { required } from '../shared/required';

/** What an attempt log keeps of a response body. */
export const RESPONSE_BODY_LIMIT_BYTES = 4096;

/**
 * One signed POST to an endpoint (unsigned to a chat tool's incoming webhook). The SSRF guard checks the URL and
 * resolves the host again before every send, and the request connects to the address it validated (no DNS
 * rebinding between check and connect). Only 2xx counts as delivered; redirects are not followed (a 3xx is a
 * failure); the timeout covers the whole exchange.
 */
export async function postSigned(input: {
  subscription: WebhookSubscription;
  id: string;
  body: string;
  /** Sent as `x-correlation-id`: receivers can quote it to support, whatever the body's payload mode. */
  correlationId?: string;
  timeoutMs: number;
  allowLoopbackHttp: boolean;
  resolver?: Resolver;
  /** Stamps the signature and reads an HTTP-date Retry-After; a test moves it across a secret rotation. */
  clock?: Clock;
}): Promise<AttemptResult> {
  const clock = input.clock ?? systemClock;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const target = await checkWebhookTarget(input.subscription.url, {
    allowLoopbackHttp: input.allowLoopbackHttp,
    resolver: input.resolver ?? systemResolver,
  });
  if (!target.ok)
    return {
      ok: false,
      blocked: true,
      durationMs: elapsed(),
      error: `target refused (${target.code}): ${target.reason}`,
    };
  const timestampSeconds = Math.floor(clock.now().getTime() / 1000);
  const now = new Date(timestampSeconds * 1000);
  // A chat tool cannot verify a signature (its URL is the secret): its messages go unsigned.
  const headers = isChatEndpoint(input.subscription)
    ? {}
    : signedHeaders({
        secrets: signingSecrets(input.subscription, now),
        signingKeys: signingSecrets(input.subscription, now, input.subscription.signingKeys ?? []),
        id: input.id,
        timestampSeconds,
        body: input.body,
      });
  return send(target.url, required(target.addresses[0], 'a checked address'), {
    headers: {
      'content-type': 'application/json',
      'user-agent': 'LoyaltyLedger-Webhooks/1.0',
      ...(input.correlationId !== undefined ? { [CORRELATION_ID_HEADER]: input.correlationId } : {}),
      ...headers,
    },
    body: input.body,
    timeoutMs: input.timeoutMs,
    clock,
  });
}

/**
 * One call to a callback endpoint: the body (its template rendered) with the endpoint's headers and its auth, unsigned.
 * The URL passes the SSRF guard before every call, as a webhook's does. An OAuth token comes from the container's
 * cache; a 401 drops it and the call is made once more with a new token (a token revoked or expired early). A token
 * that cannot be had fails the attempt (retried, counted by the breaker), its reason in the attempt log.
 */
export async function postCallback(input: {
  subscription: WebhookSubscription;
  body: string;
  correlationId?: string;
  timeoutMs: number;
  allowLoopbackHttp: boolean;
  tokens: TokenSource;
  resolver?: Resolver;
  clock?: Clock;
}): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const { subscription } = input;
  const { auth } = subscription;
  const target = await checkWebhookTarget(subscription.url, {
    allowLoopbackHttp: input.allowLoopbackHttp,
    resolver: input.resolver ?? systemResolver,
  });
  if (!target.ok)
    return {
      ok: false,
      blocked: true,
      durationMs: elapsed(),
      error: `target refused (${target.code}): ${target.reason}`,
    };
  const authValue = async (): Promise<string | undefined> => {
    if (!auth) return undefined;
    if (auth.type === 'header') return auth.value;
    return `Bearer ${await input.tokens.token(subscription, auth)}`;
  };
  const call = async () =>
    send(target.url, required(target.addresses[0], 'a checked address'), {
      headers: callbackHeaders({
        settings: subscription,
        ...optional('authValue', await authValue()),
        ...optional('correlationId', input.correlationId),
      }),
      body: input.body,
      timeoutMs: input.timeoutMs,
      clock: input.clock ?? systemClock,
    });
  try {
    const first = await call();
    if (first.status !== 401 || auth?.type !== 'oauth2_client_credentials') return first;
    input.tokens.invalidate(subscription, auth);
    const again = await call();
    return { ...again, durationMs: elapsed() };
  } catch (error) {
    if (error instanceof TokenError) return { ok: false, durationMs: elapsed(), error: error.message };
    throw error;
  }
}

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/** One pinned POST and what it came to for the attempt log. */
async function send(
  url: URL,
  address: string,
  init: { headers: Record<string, string>; body: string; timeoutMs: number; clock: Clock },
): Promise<AttemptResult> {
  const started = performance.now();
  try {
    const response = await postPinned(url, address, {
      headers: init.headers,
      body: init.body,
      timeoutMs: init.timeoutMs,
      maxResponseBytes: RESPONSE_BODY_LIMIT_BYTES,
    });
    const retryAfter = retryAfterSeconds(response.headers['retry-after'], init.clock.now());
    return {
      ok: response.status >= 200 && response.status < 300,
      status: response.status,
      durationMs: response.durationMs,
      responseBody: response.body,
      ...((response.status === 429 || response.status === 503) && retryAfter !== undefined
        ? { retryAfterSeconds: retryAfter }
        : {}),
    };
  } catch (error) {
    return {
      ok: false,
      durationMs: Math.round(performance.now() - started),
      error:
        (error as Error).name === 'TimeoutError' ? `timed out after ${init.timeoutMs} ms` : (error as Error).message,
    };
  }
}
