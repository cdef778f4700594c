import { documentClient } from '../adapters/aws-clients';
import { DynamoOAuthClientStore } from '../adapters/dynamo-oauth-client-store';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store';
import type { BearerTokens } from '../api/authorize';
import { accessTokenAudience } from '../domain/oauth';
import { setting } from './config';
import { tokenPublicKeys } from './token-keys';

/** The tenants and their API keys the authorizer resolves keys against; the handler keeps it per container. */
export const tenantDirectory = (): DynamoTenantStore => new DynamoTenantStore(documentClient(), setting('TABLE_NAME'));

/** How the authorizer verifies OAuth access tokens; the handler keeps it per container. */
export function bearerTokens(tenants: DynamoTenantStore): BearerTokens {
  const issuer = setting('TOKEN_ISSUER');
  const clients = new DynamoOAuthClientStore(documentClient(), setting('TABLE_NAME'));
  return {
    verifier: { publicKeys: tokenPublicKeys(), issuer, audience: accessTokenAudience(issuer) },
    directory: {
      findCredential: (clientId) => clients.findCredential(clientId),
      getTenant: (tenantId) => tenants.getTenant(tenantId),
    },
  };
}
