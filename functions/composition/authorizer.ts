import { documentClient } from '../adapters/aws-clients';
import { DynamoApiKeyStore } from '../adapters/dynamo-api-key-store';
import { DynamoOAuthClientStore } from '../adapters/dynamo-oauth-client-store';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store';
import { apiKeyAuthenticator, type Authenticators } from '../api/authorize';
import { bearerAuthenticator } from '../api/bearer-token';
import { accessTokenAudience } from '../domain/oauth';
import { systemClock } from '../shared/clock';
import { setting } from './config';
import { tokenPublicKeys } from './token-keys';

/** The authorizer's credential verifiers (API keys, OAuth access tokens) and their caches, kept per container. */
export function authenticators(): Authenticators {
  const dynamo = documentClient();
  const tableName = setting('TABLE_NAME');
  const cache = { cacheTtlMs: setting('AUTHORIZER_CACHE_TTL_MS') };
  const keys = new DynamoApiKeyStore(dynamo, tableName);
  const tenants = new DynamoTenantStore(dynamo, tableName);
  const clients = new DynamoOAuthClientStore(dynamo, tableName);
  const issuer = setting('TOKEN_ISSUER');
  const getTenant = (tenantId: string) => tenants.getTenant(tenantId);
  return {
    apiKey: apiKeyAuthenticator(
      {
        getApiKey: (keyId) => keys.get(keyId),
        getTenant,
        recordUse: (keyId, at, since) => keys.recordUse(keyId, at, since),
      },
      systemClock,
      cache,
    ),
    bearer: bearerAuthenticator(
      { publicKeys: tokenPublicKeys(), issuer, audience: accessTokenAudience(issuer) },
      { findCredential: (clientId) => clients.findCredential(clientId), getTenant },
      systemClock,
      cache,
    ),
  };
}
