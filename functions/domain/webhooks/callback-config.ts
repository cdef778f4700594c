/**
 * A callback endpoint's configuration: how the platform authenticates to the receiver (an OAuth 2.0
 * client-credentials token, or a static header), the custom headers it adds, and the json-e template
 * that shapes the body (callback-template.ts). Pure: the API validates with it, the sender builds
 * requests with it, the preview shows what the sender would send.
 */

/** RFC 6749 §4.4: a token from the receiver's token URL; §2.3.1: the client authenticates with Basic or the body. */
export interface OAuthClientCredentials {
  type: 'oauth2_client_credentials';
  tokenUrl: string;
  clientId: string;
  /** Sealed at rest with the endpoint's signing secrets; never shown again once set. */
  clientSecret: string;
  scope?: string;
  /** Auth0 and Okta style APIs name the API they issue the token for. */
  audience?: string;
  /** `basic` (the default: every server must support it) or `body` (client_id and client_secret in the form). */
  clientAuth?: 'basic' | 'body';
}

/** A static header: `X-API-Key: …`, or `Authorization: Bearer …` with a long-lived token. */
export interface StaticHeaderAuth {
  type: 'header';
  name: string;
  /** Sealed at rest; never shown again once set. */
  value: string;
}

export type CallbackAuth = OAuthClientCredentials | StaticHeaderAuth;

/** What a callback endpoint adds to a webhook subscription (only a callback endpoint may have them). */
export interface CallbackSettings {
  auth?: CallbackAuth;
  /** Header name to value, sent with every call (names compared case-insensitively). */
  headers?: Record<string, string>;
  /** A json-e template (any JSON value); absent: the body is the event as a webhook carries it. */
  template?: unknown;
}

/** What a read shows in place of a secret. */
export const REDACTED = '[redacted]';

export const MAX_CUSTOM_HEADERS = 20;
export const MAX_HEADER_VALUE_LENGTH = 1024;

/**
 * Headers an endpoint may not set: those the HTTP client owns (Host, Content-Length, hop-by-hop headers of RFC 9110
 * §7.6.1), the signature headers of Standard Webhooks (a callback is not signed: a forged `webhook-signature` would
 * mislead a receiver), the correlation header the platform sets, and cookies (a receiver's session is not
 * configuration). `Authorization` is refused besides when the endpoint has `auth`, and so is the auth header's name.
 */
const DENIED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'cookie',
  'x-correlation-id',
]);
const DENIED_PREFIXES = ['webhook-', 'proxy-', 'x-amz-'];

/** RFC 9110 §5.1 field-name token. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Visible ASCII, spaces and tabs inside; no CR, LF or NUL (no header injection). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A configuration problem: `reasonCode` is stable, `path` names the offending field. */
export interface CallbackConfigProblem {
  reasonCode:
    | 'header_not_allowed'
    | 'header_invalid'
    | 'too_many_headers'
    | 'auth_header_not_allowed'
    | 'not_a_callback_endpoint'
    | 'digest_not_supported';
  path: string;
  reason: string;
}

/** Why a header name is not one an endpoint may set (undefined when it may). */
export function deniedHeaderReason(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (DENIED_HEADERS.has(lower)) return `${name} is set by the platform or the HTTP client`;
  const prefix = DENIED_PREFIXES.find((denied) => lower.startsWith(denied));
  return prefix ? `${prefix}* headers are reserved` : undefined;
}

/**
 * The first problem of a callback configuration, or undefined when it is sound. Shape (types, lengths) is the
 * request schema's job; this checks what a schema cannot say: the deny list and how auth and headers combine.
 * @example callbackConfigProblem({ headers: { Host: 'x' } })?.reasonCode // 'header_not_allowed'
 */
export function callbackConfigProblem(settings: CallbackSettings): CallbackConfigProblem | undefined {
  const { auth, headers = {} } = settings;
  if (auth?.type === 'header') {
    const path = 'auth.name';
    if (!HEADER_NAME.test(auth.name)) return { reasonCode: 'header_invalid', path, reason: 'not a header name' };
    if (!HEADER_VALUE.test(auth.value))
      return { reasonCode: 'header_invalid', path: 'auth.value', reason: 'control characters are not allowed' };
    const denied = deniedHeaderReason(auth.name);
    if (denied) return { reasonCode: 'header_not_allowed', path, reason: denied };
  }
  const names = Object.keys(headers);
  if (names.length > MAX_CUSTOM_HEADERS)
    return { reasonCode: 'too_many_headers', path: 'headers', reason: `at most ${MAX_CUSTOM_HEADERS} headers` };
  const seen = new Set<string>();
  for (const name of names) {
    const path = `headers.${name}`;
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) return { reasonCode: 'header_invalid', path, reason: 'not a header name' };
    const value = headers[name] ?? '';
    if (!HEADER_VALUE.test(value) || value.length > MAX_HEADER_VALUE_LENGTH)
      return {
        reasonCode: 'header_invalid',
        path,
        reason: `a value of at most ${MAX_HEADER_VALUE_LENGTH} characters without control characters`,
      };
    if (seen.has(lower)) return { reasonCode: 'header_invalid', path, reason: 'the header is named twice' };
    seen.add(lower);
    const denied = deniedHeaderReason(name);
    if (denied) return { reasonCode: 'header_not_allowed', path, reason: denied };
    if (auth && (lower === 'authorization' || (auth.type === 'header' && lower === auth.name.toLowerCase())))
      return { reasonCode: 'auth_header_not_allowed', path, reason: `${name} is set by the endpoint's auth` };
  }
  return undefined;
}

/**
 * The headers of a callback call: JSON content, the platform's user agent and correlation id, the endpoint's own
 * headers, then the auth header (last: nothing configured can replace it).
 */
export function callbackHeaders(input: {
  settings: CallbackSettings;
  /** `Bearer <token>` for OAuth; a static header's value. Absent: no auth header (the preview redacts it). */
  authValue?: string;
  correlationId?: string;
}): Record<string, string> {
  const { auth, headers = {} } = input.settings;
  const authName = auth?.type === 'header' ? auth.name : auth ? 'authorization' : undefined;
  return {
    'content-type': 'application/json',
    'user-agent': 'LoyaltyLedger-Callbacks/1.0',
    ...(input.correlationId !== undefined ? { 'x-correlation-id': input.correlationId } : {}),
    ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
    ...(authName && input.authValue !== undefined ? { [authName.toLowerCase()]: input.authValue } : {}),
  };
}

/** The auth as a read shows it: everything but the secret. */
export function redactedAuth(auth: CallbackAuth): Record<string, unknown> {
  if (auth.type === 'header') return { type: auth.type, name: auth.name, value: REDACTED };
  return { ...auth, clientSecret: REDACTED };
}

/** The secret of an auth configuration: what the store seals. */
export const authSecretOf = (auth: CallbackAuth): string => (auth.type === 'header' ? auth.value : auth.clientSecret);

/** The auth with its secret put back (the store opens it), or blanked (a reader without the key). */
export const withAuthSecret = (auth: CallbackAuth, secret: string): CallbackAuth =>
  auth.type === 'header' ? { ...auth, value: secret } : { ...auth, clientSecret: secret };
