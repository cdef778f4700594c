import { dynamo } from '../adapters/aws-clients';
import { DynamoOfferStore } from '../adapters/dynamo-offer-store';
import { DynamoRewardStore } from '../adapters/dynamo-reward-store';
import { DynamoSubscriptionStore } from '../adapters/dynamo-subscription-store';
import type { Services } from '../api/operations';
import { RewardCatalogue } from '../domain/reward-catalogue';
import { systemClock } from '../shared/clock';
import { setting } from './config';
import { ledgerWiring } from './ledger';
import { webhookApiWiring } from './webhooks';

let services: Services | undefined;

/** What the API's operations run with, built once per container on the first request (settings are read then). */
export function apiServices(): Services {
  if (!services) {
    const tableName = setting('TABLE_NAME');
    const { ledger, programmes, store } = ledgerWiring();
    services = {
      ledger,
      programmes,
      offers: new DynamoOfferStore(dynamo(), tableName),
      catalogue: new RewardCatalogue(new DynamoRewardStore(dynamo(), tableName), store, systemClock),
      subscriptions: new DynamoSubscriptionStore(dynamo(), tableName),
      clock: systemClock,
      allowLoopbackHttp: setting('WEBHOOK_ALLOW_LOOPBACK_HTTP'),
      ...webhookApiWiring(),
    };
  }
  return services;
}
