import { documentClient } from '../adapters/aws-clients';
import { DynamoOAuthClientStore } from '../adapters/dynamo-oauth-client-store';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store';
import type { TokenEndpointServices } from '../api/token-endpoint';
import { accessTokenAudience } from '../domain/oauth';
import { systemClock } from '../shared/clock';
import { newId } from '../shared/ids';
import { setting } from './config';
import { tokenPublicKeys, tokenSigner } from './token-keys';

/** What the token endpoint runs with; the handler builds it once per container. */
export function tokenServices(): TokenEndpointServices {
  const dynamo = documentClient();
  const tableName = setting('TABLE_NAME');
  const issuer = setting('TOKEN_ISSUER');
  return {
    clients: new DynamoOAuthClientStore(dynamo, tableName),
    tenants: new DynamoTenantStore(dynamo, tableName),
    signer: tokenSigner(),
    publicKeys: tokenPublicKeys(),
    clock: systemClock,
    newTokenId: () => newId('tok'),
    issuer,
    audience: accessTokenAudience(issuer),
  };
}
