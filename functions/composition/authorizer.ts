import { dynamo } from '../adapters/aws-clients';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store';
import { setting } from './config';

let store: DynamoTenantStore | undefined;

/** The tenants and their API keys the authorizer resolves keys against, built once per container. */
export const tenantDirectory = (): DynamoTenantStore =>
  (store ??= new DynamoTenantStore(dynamo(), setting('TABLE_NAME')));
