import { createHash } from 'node:crypto';
import type { WebhookSubscription } from '../domain/ports';
import type { OAuthClientCredentials } from '../domain/webhooks/callback-config';
import { checkWebhookTarget, type Resolver } from '../domain/webhooks/ssrf-guard';
import { systemClock, type Clock } from '../shared/clock';
import { required } from '../shared/required';
import { postPinned } from './pinned-http';
import { systemResolver } from './system-resolver';

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) towards a callback endpoint's receiver. The token URL goes through the
 * same SSRF guard and pinned connection as a delivery (https only outside the twin, every address public, no DNS
 * between check and connect, no redirects followed), with its own timeout. Tokens are cached per endpoint in the
 * container until they expire less a margin; a 401 from the receiver drops the cached token (the sender asks again
 * once). Errors never carry the client secret or a token: only the status and the server's `error` code.
 */

/** A token request failed: the attempt fails (retried, counted by the breaker) with this message in the log. */
export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

/** What a token response gives: the token, and how long it lives. */
export interface IssuedToken {
  accessToken: string;
  expiresInSeconds: number;
}

export interface TokenRequestOptions {
  timeoutMs: number;
  allowLoopbackHttp: boolean;
  resolver?: Resolver;
}

/** A token without `expires_in` is kept this long (RFC 6749 leaves the default to the server's documentation). */
const DEFAULT_EXPIRES_IN_SECONDS = 300;
const MAX_TOKEN_RESPONSE_BYTES = 16 * 1024;

/** RFC 6749 §2.3.1 / appendix B: id and secret are form-urlencoded before they are joined for Basic. */
const formEncode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');

/**
 * One token request: `grant_type=client_credentials` (with scope and audience when set), the client authenticated
 * with HTTP Basic or in the body.
 */
export async function requestToken(auth: OAuthClientCredentials, options: TokenRequestOptions): Promise<IssuedToken> {
  const target = await checkWebhookTarget(auth.tokenUrl, {
    allowLoopbackHttp: options.allowLoopbackHttp,
    resolver: options.resolver ?? systemResolver,
  });
  if (!target.ok) throw new TokenError(`token URL refused (${target.code}): ${target.reason}`);
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (auth.scope) form.set('scope', auth.scope);
  if (auth.audience) form.set('audience', auth.audience);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
    'user-agent': 'LoyaltyLedger-Callbacks/1.0',
  };
  if (auth.clientAuth === 'body') {
    form.set('client_id', auth.clientId);
    form.set('client_secret', auth.clientSecret);
  } else {
    const basic = Buffer.from(`${formEncode(auth.clientId)}:${formEncode(auth.clientSecret)}`).toString('base64');
    headers.authorization = `Basic ${basic}`;
  }
  let response;
  try {
    response = await postPinned(target.url, required(target.addresses[0], 'a checked address'), {
      headers,
      body: form.toString(),
      timeoutMs: options.timeoutMs,
      maxResponseBytes: MAX_TOKEN_RESPONSE_BYTES,
    });
  } catch (error) {
    const name = (error as Error).name;
    throw new TokenError(
      name === 'TimeoutError'
        ? `token request timed out after ${options.timeoutMs} ms`
        : `token request failed: ${(error as Error).message}`,
    );
  }
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(response.body) as Record<string, unknown>;
  } catch {
    // Reported below by status or by the missing token.
  }
  if (response.status < 200 || response.status >= 300) {
    const code = typeof parsed.error === 'string' && /^[\x20-\x7e]{1,64}$/.test(parsed.error) ? ` ${parsed.error}` : '';
    throw new TokenError(`token endpoint answered ${response.status}${code}`);
  }
  const { access_token: accessToken, token_type: tokenType, expires_in: expiresIn } = parsed;
  if (typeof accessToken !== 'string' || accessToken === '') throw new TokenError('token response has no access_token');
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')
    throw new TokenError('token response is not a bearer token');
  const seconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : DEFAULT_EXPIRES_IN_SECONDS;
  return { accessToken, expiresInSeconds: seconds };
}

/** A token is used until this long before it expires: a tenth of its life, at most a minute. */
export const expiryMarginSeconds = (expiresInSeconds: number) => Math.min(60, expiresInSeconds / 10);

/** The tokens of a container's callback endpoints. */
export interface TokenSource {
  /** A bearer token for the endpoint's auth: the cached one while it is fresh, else a new one. */
  token(subscription: WebhookSubscription, auth: OAuthClientCredentials): Promise<string>;
  /** Drops the endpoint's cached token (the receiver answered 401 with it). */
  invalidate(subscription: WebhookSubscription, auth: OAuthClientCredentials): void;
}

/** The cache holds at most this many tokens (the oldest go first). */
const MAX_CACHED_TOKENS = 1000;

/**
 * A per-container token cache. The key covers the endpoint and its whole auth (secret included, as a hash), so a
 * changed client secret or scope fetches a new token at once. Concurrent messages of an endpoint share one request.
 */
export function tokenCache(
  fetchToken: (auth: OAuthClientCredentials) => Promise<IssuedToken>,
  clock: Clock = systemClock,
): TokenSource & { size(): number } {
  const cached = new Map<string, { token: string; freshUntilMs: number }>();
  const pending = new Map<string, Promise<string>>();
  const keyOf = (subscription: WebhookSubscription, auth: OAuthClientCredentials) =>
    createHash('sha256')
      .update(JSON.stringify([subscription.tenantId, subscription.subscriptionId, auth]))
      .digest('base64url');
  return {
    size: () => cached.size,
    token(subscription, auth) {
      const key = keyOf(subscription, auth);
      const hit = cached.get(key);
      if (hit && clock.now().getTime() < hit.freshUntilMs) return Promise.resolve(hit.token);
      const inFlight = pending.get(key);
      if (inFlight) return inFlight;
      const request = fetchToken(auth)
        .then((issued) => {
          const lifeSeconds = issued.expiresInSeconds - expiryMarginSeconds(issued.expiresInSeconds);
          cached.delete(key);
          cached.set(key, { token: issued.accessToken, freshUntilMs: clock.now().getTime() + lifeSeconds * 1000 });
          if (cached.size > MAX_CACHED_TOKENS) cached.delete(required(cached.keys().next().value, 'oldest key'));
          return issued.accessToken;
        })
        .finally(() => pending.delete(key));
      pending.set(key, request);
      return request;
    },
    invalidate(subscription, auth) {
      cached.delete(keyOf(subscription, auth));
    },
  };
}
