import { documentClient } from '../adapters/aws-clients';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store';
import { setting } from './config';

/** The tenants and their API keys the authorizer resolves keys against; the handler keeps it per container. */
export const tenantDirectory = (): DynamoTenantStore => new DynamoTenantStore(documentClient(), setting('TABLE_NAME'));
