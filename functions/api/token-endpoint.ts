import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Tenant } from '../domain/ports';
import { signJwt, type DerSigner, type PublicKeySet } from '../domain/jws';
import {
  ACCESS_TOKEN_LIFETIME_SECONDS,
  accessTokenClaims,
  grantedScopes,
  OAuthError,
  oauthErrorAnswer,
  parseTokenRequest,
  type ClientAuthMethod,
  type TokenResponse,
} from '../domain/oauth';
import { secretMatches, type OAuthClientCredential } from '../domain/oauth-clients';
import type { Clock } from '../shared/clock';
import { logger } from '../shared/logger';
import { Problem } from '../shared/problem';
import { header } from './http';

/** The token endpoint's paths: the topology routes them to the token function, without the authorizer. */
export const TOKEN_PATH = '/oauth2/token';
export const JWKS_PATH = '/.well-known/jwks.json';
/** A token request is a few short form fields; anything larger is refused unread. */
const MAX_TOKEN_REQUEST_BYTES = 8 * 1024;

export interface TokenEndpointServices {
  clients: { findCredential(clientId: string): Promise<OAuthClientCredential | null> };
  tenants: { getTenant(tenantId: string): Promise<Tenant | null> };
  signer: DerSigner;
  publicKeys: PublicKeySet;
  clock: Clock;
  newTokenId: () => string;
  /** `iss` (the API's public base URL) and `aud` of every token. */
  issuer: string;
  audience: string;
}

/** The JWKS is public and changes only with a key rotation: caches may keep it a few minutes. */
const JWKS_MAX_AGE_SECONDS = 300;

/**
 * The two unauthenticated OAuth routes: `POST /oauth2/token` (client credentials, RFC 6749 §4.4) and
 * `GET /.well-known/jwks.json`. Token errors are RFC 6749 §5.2 JSON, not problem+json: OAuth client libraries
 * read `error` from exactly that shape.
 */
export async function tokenRoute(
  event: APIGatewayProxyEvent,
  services: TokenEndpointServices,
): Promise<APIGatewayProxyResult> {
  if (event.httpMethod === 'GET' && event.resource === JWKS_PATH) {
    return {
      statusCode: 200,
      headers: {
        'content-type': 'application/jwk-set+json',
        'cache-control': `public, max-age=${JWKS_MAX_AGE_SECONDS}`,
        'x-content-type-options': 'nosniff',
      },
      body: JSON.stringify(await services.publicKeys.jwks()),
    };
  }
  if (event.httpMethod !== 'POST' || event.resource !== TOKEN_PATH) throw new Problem('not_found');
  let authMethod: ClientAuthMethod | undefined;
  try {
    const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body;
    if (Buffer.byteLength(body ?? '') > MAX_TOKEN_REQUEST_BYTES)
      throw new OAuthError('invalid_request', 'The request body is too large');
    // Known before any other check, so an invalid_client after Basic carries WWW-Authenticate.
    if (/^Basic\b/i.test(header(event.headers, 'authorization') ?? '')) authMethod = 'client_secret_basic';
    const request = parseTokenRequest({
      contentType: header(event.headers, 'content-type'),
      authorization: header(event.headers, 'authorization'),
      body,
    });
    authMethod = request.authMethod;
    const token = await issueToken(request, services);
    return {
      statusCode: 200,
      // RFC 6749 §5.1: a token answer must never be cached.
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
      body: JSON.stringify(token),
    };
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    logger.info('Token request refused', { error: error.code, reason: error.description });
    return oauthErrorAnswer(error, authMethod);
  }
}

async function issueToken(
  request: ReturnType<typeof parseTokenRequest>,
  services: TokenEndpointServices,
): Promise<TokenResponse> {
  const now = services.clock.now();
  const client = request.clientId.length <= 64 ? await services.clients.findCredential(request.clientId) : null;
  // One answer for an unknown client, a wrong secret and a revoked client: none tells which it was.
  if (!client || client.status !== 'active' || !secretMatches(client, request.clientSecret, now))
    throw new OAuthError('invalid_client', 'Client authentication failed');
  const tenant = await services.tenants.getTenant(client.tenantId);
  if (!tenant || tenant.status !== 'active')
    throw new OAuthError('unauthorized_client', 'The client’s tenant may not obtain tokens now');
  const scopes = grantedScopes(client.scopes, request.requestedScopes);
  if (scopes.length === 0) throw new OAuthError('invalid_scope', 'The client holds no scope');
  const claims = accessTokenClaims({
    issuer: services.issuer,
    audience: services.audience,
    clientId: client.clientId,
    tenantId: client.tenantId,
    scopes,
    issuedAtSeconds: Math.floor(now.getTime() / 1000),
    tokenId: services.newTokenId(),
  });
  return {
    access_token: await signJwt(claims, services.signer),
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    scope: claims.scope,
  };
}
