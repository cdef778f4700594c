import { documentClient } from '../adapters/aws-clients';
import { DynamoApiKeyStore } from '../adapters/dynamo-api-key-store';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store';
import { apiKeyAuthenticator, type Authenticators } from '../api/authorize';
import { systemClock } from '../shared/clock';
import { setting } from './config';

/** The authorizer's credential verifiers and their caches; the handler keeps them per container. */
export function authenticators(): Authenticators {
  const dynamo = documentClient();
  const tableName = setting('TABLE_NAME');
  const keys = new DynamoApiKeyStore(dynamo, tableName);
  const tenants = new DynamoTenantStore(dynamo, tableName);
  const directory = {
    getApiKey: (keyId: string) => keys.get(keyId),
    getTenant: (tenantId: string) => tenants.getTenant(tenantId),
    recordUse: (keyId: string, at: string, since: string) => keys.recordUse(keyId, at, since),
  };
  return { apiKey: apiKeyAuthenticator(directory, systemClock, { cacheTtlMs: setting('AUTHORIZER_CACHE_TTL_MS') }) };
}
