import { documentClient, sqsClient } from '../adapters/aws-clients';
import { DynamoOfferStore } from '../adapters/dynamo-offer-store';
import { DynamoRewardStore } from '../adapters/dynamo-reward-store';
import { DynamoSubscriptionStore } from '../adapters/dynamo-subscription-store';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store';
import { catalogueReplies } from '../api/catalogue-views';
import type { Services } from '../api/operations';
import { RewardCatalogue } from '../domain/reward-catalogue';
import { TenantAdmin } from '../domain/tenants';
import { systemClock } from '../shared/clock';
import { setting } from './config';
import { ledgerWiring } from './ledger';
import { webhookApiWiring } from './webhooks';

/** What the API's operations run with; the handler builds it once per container, on the first request. */
export function apiServices(): Services {
  const tableName = setting('TABLE_NAME');
  const dynamo = documentClient();
  const { ledger, programmes, store } = ledgerWiring(dynamo);
  const tenantStore = new DynamoTenantStore(dynamo, tableName);
  return {
    ledger,
    programmes,
    offers: new DynamoOfferStore(dynamo, tableName),
    catalogue: new RewardCatalogue(new DynamoRewardStore(dynamo, tableName), store, systemClock, catalogueReplies),
    subscriptions: new DynamoSubscriptionStore(dynamo, tableName),
    clock: systemClock,
    allowLoopbackHttp: setting('WEBHOOK_ALLOW_LOOPBACK_HTTP'),
    ...webhookApiWiring(dynamo, sqsClient()),
    tenants: new TenantAdmin(tenantStore, systemClock),
    tenantStore,
  };
}
