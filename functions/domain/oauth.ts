import { TENANT_SCOPES, type TenantScope } from './credentials';

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4): the rules of the token endpoint, free of I/O. A tenant's OAuth
 * client trades its id and secret for a short-lived JWT access token (RFC 9068 profile) carrying the tenant and
 * the granted scopes; the authorizer then trusts the token's signature instead of a table read per key.
 */

/** Access tokens live 15 minutes: long enough for a batch job's burst, short enough that a leak ages out soon. */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 15 * 60;
/** Clock skew the authorizer tolerates on `exp`, `nbf` and `iat` between the token endpoint and itself. */
export const TOKEN_CLOCK_TOLERANCE_SECONDS = 30;
/** The claim that carries the tenant: the authorizer takes the tenant from it alone. */
export const TENANT_CLAIM = 'tenant_id';
/** The one grant the token endpoint serves. */
export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';

/** The audience (`aud`) of the API's access tokens: its versioned API under the issuer's base URL. */
export const accessTokenAudience = (issuer: string) => `${issuer.replace(/\/+$/, '')}/v1`;

/** RFC 6749 §5.2 error codes, and the status each answers with (invalid_client: 401, §5.2). */
export const OAUTH_ERRORS = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
} as const;
export type OAuthErrorCode = keyof typeof OAUTH_ERRORS;

/** A token request refused as RFC 6749 §5.2 says; the description is for a developer, never a secret. */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
  ) {
    super(`${code}: ${description}`);
  }
}

/** How the client authenticated (RFC 6749 §2.3.1): with HTTP Basic, an invalid_client carries WWW-Authenticate. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface TokenRequest {
  clientId: string;
  clientSecret: string;
  authMethod: ClientAuthMethod;
  /** The scopes asked for (`scope` parameter), or undefined for all the client holds. */
  requestedScopes?: string[];
}

const MAX_FIELD_LENGTH = 512;

/** The value of a form parameter; RFC 6749 §3.2: a parameter sent more than once makes the request invalid. */
function single(form: URLSearchParams, name: string): string | undefined {
  const values = form.getAll(name);
  if (values.length > 1) throw new OAuthError('invalid_request', `The ${name} parameter is repeated`);
  const [value] = values;
  if (value !== undefined && value.length > MAX_FIELD_LENGTH)
    throw new OAuthError('invalid_request', `The ${name} parameter is too long`);
  return value === '' ? undefined : value;
}

/** HTTP Basic credentials, each part form-urlencoded first (RFC 6749 §2.3.1); null when the header is not Basic. */
function basicCredentials(authorization: string | undefined): { id: string; secret: string } | null {
  const encoded = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(authorization ?? '')?.[1];
  if (encoded === undefined) {
    if (/^Basic\b/i.test(authorization ?? '')) throw new OAuthError('invalid_client', 'Malformed Basic credentials');
    return null;
  }
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client', 'Malformed Basic credentials');
  const formDecode = (part: string) => {
    try {
      return decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      throw new OAuthError('invalid_client', 'Malformed Basic credentials');
    }
  };
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

/**
 * Reads a token request (RFC 6749 §4.4.2): a form body with `grant_type=client_credentials`, the client
 * authenticated by HTTP Basic or by `client_id`/`client_secret` in the form (one way only, §2.3), optional `scope`.
 * @example parseTokenRequest({ contentType: 'application/x-www-form-urlencoded', authorization: 'Basic …',
 *   body: 'grant_type=client_credentials&scope=members%3Aread' })
 */
export function parseTokenRequest(input: {
  contentType: string | undefined;
  authorization: string | undefined;
  body: string | null;
}): TokenRequest {
  const mediaType = input.contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded')
    throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded');
  const form = new URLSearchParams(input.body ?? '');
  const basic = basicCredentials(input.authorization);
  const formId = single(form, 'client_id');
  const formSecret = single(form, 'client_secret');
  const grantType = single(form, 'grant_type');
  const scope = single(form, 'scope');

  if (basic && formSecret !== undefined)
    throw new OAuthError('invalid_request', 'Authenticate with HTTP Basic or with client_secret, not both');
  if (basic && formId !== undefined && formId !== basic.id)
    throw new OAuthError('invalid_request', 'client_id differs from the Basic credentials');
  if (!grantType) throw new OAuthError('invalid_request', 'The grant_type parameter is required');
  if (grantType !== CLIENT_CREDENTIALS_GRANT)
    throw new OAuthError('unsupported_grant_type', 'Only the client_credentials grant is supported');

  const credentials = basic ?? (formId && formSecret ? { id: formId, secret: formSecret } : null);
  if (!credentials) throw new OAuthError('invalid_client', 'Client authentication is required');
  const requestedScopes = scope?.split(' ').filter((part) => part !== '');
  return {
    clientId: credentials.id,
    clientSecret: credentials.secret,
    authMethod: basic ? 'client_secret_basic' : 'client_secret_post',
    ...(requestedScopes && requestedScopes.length > 0 ? { requestedScopes } : {}),
  };
}

/**
 * The scopes a token gets: those asked for, each held by the client (RFC 6749 §3.3), or all the client holds.
 * Asking for one it does not hold is invalid_scope, not a silent narrowing, so a misconfigured caller learns why.
 */
export function grantedScopes(clientScopes: readonly string[], requested?: readonly string[]): TenantScope[] {
  const held = clientScopes.filter((scope): scope is TenantScope =>
    (TENANT_SCOPES as readonly string[]).includes(scope),
  );
  if (!requested) return held;
  const missing = requested.filter((scope) => !(held as string[]).includes(scope));
  if (missing.length > 0) throw new OAuthError('invalid_scope', `The client may not ask for: ${missing.join(' ')}`);
  return [...new Set(requested as TenantScope[])];
}

/** The claims of an access token (RFC 9068 names, plus the tenant). */
export interface AccessTokenClaims {
  iss: string;
  aud: string;
  /** The client id: RFC 9068 puts the client in `sub` for tokens no user took part in. */
  sub: string;
  client_id: string;
  [TENANT_CLAIM]: string;
  /** Space-separated, as RFC 9068 and RFC 6749 §3.3. */
  scope: string;
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
}

export function accessTokenClaims(input: {
  issuer: string;
  audience: string;
  clientId: string;
  tenantId: string;
  scopes: readonly string[];
  issuedAtSeconds: number;
  tokenId: string;
}): AccessTokenClaims {
  return {
    iss: input.issuer,
    aud: input.audience,
    sub: input.clientId,
    client_id: input.clientId,
    [TENANT_CLAIM]: input.tenantId,
    scope: input.scopes.join(' '),
    iat: input.issuedAtSeconds,
    nbf: input.issuedAtSeconds,
    exp: input.issuedAtSeconds + ACCESS_TOKEN_LIFETIME_SECONDS,
    jti: input.tokenId,
  };
}

/** The successful answer of the token endpoint (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** An RFC 6749 §5.2 error answer: status, headers and the JSON body. */
export function oauthErrorAnswer(error: OAuthError, authMethod: ClientAuthMethod | undefined) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    pragma: 'no-cache',
  };
  // §5.2: a client that tried HTTP Basic learns the scheme to use again.
  if (error.code === 'invalid_client' && authMethod === 'client_secret_basic')
    headers['www-authenticate'] = 'Basic realm="oauth2", charset="UTF-8"';
  return {
    statusCode: OAUTH_ERRORS[error.code],
    headers,
    body: JSON.stringify({ error: error.code, error_description: error.description }),
  };
}
