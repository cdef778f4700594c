import { documentClient, sqsClient } from '../adapters/aws-clients';
import { DynamoOAuthClientStore } from '../adapters/dynamo-oauth-client-store';
import { DynamoOfferStore } from '../adapters/dynamo-offer-store';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store';
import { DynamoRewardStore } from '../adapters/dynamo-reward-store';
import { DynamoSubscriptionStore } from '../adapters/dynamo-subscription-store';
import { catalogueReplies } from '../api/catalogue-views';
import type { Services } from '../api/operations';
import { OAuthClientService } from '../domain/oauth-clients';
import { RewardCatalogue } from '../domain/reward-catalogue';
import { newId } from '../shared/ids';
import { systemClock } from '../shared/clock';
import { setting } from './config';
import { ledgerWiring } from './ledger';
import { webhookApiWiring } from './webhooks';

/** What the API's operations run with; the handler builds it once per container, on the first request. */
export function apiServices(): Services {
  const tableName = setting('TABLE_NAME');
  const dynamo = documentClient();
  const { ledger, programmes, store } = ledgerWiring(dynamo);
  return {
    ledger,
    programmes,
    offers: new DynamoOfferStore(dynamo, tableName),
    catalogue: new RewardCatalogue(new DynamoRewardStore(dynamo, tableName), store, systemClock, catalogueReplies),
    subscriptions: new DynamoSubscriptionStore(dynamo, tableName),
    clock: systemClock,
    allowLoopbackHttp: setting('WEBHOOK_ALLOW_LOOPBACK_HTTP'),
    oauthClients: new OAuthClientService(
      new DynamoOAuthClientStore(dynamo, tableName),
      new DynamoTenantStore(dynamo, tableName),
      () => systemClock.now(),
      () => newId('occ'),
    ),
    ...webhookApiWiring(dynamo, sqsClient()),
  };
}
