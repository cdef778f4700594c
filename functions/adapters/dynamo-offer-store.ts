import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryPrefix } from './query-prefix';
import { keys } from '../domain/keys';
import type { Offer } from '../domain/offers';
import type { OfferStore } from '../domain/ports';

/** Offers as items beside their tenant (`OFFER#<id>`); a tenant's catalogue is one query. */
export class DynamoOfferStore implements OfferStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(tenantId: string): Promise<Offer[]> {
    return (await queryPrefix(this.client, this.tableName, keys.tenant(tenantId).pk, keys.offerPrefix)).map(toOffer);
  }

  async get(tenantId: string, offerId: string): Promise<Offer | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.offer(tenantId, offerId), ConsistentRead: true }),
    );
    return Item ? toOffer(Item) : null;
  }

  async put(offer: Offer): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.offer(offer.tenantId, offer.offerId), kind: 'offer', ...offer },
      }),
    );
  }
}

function toOffer(item: Record<string, unknown>): Offer {
  const { pk: _pk, sk: _sk, kind: _kind, ...offer } = item;
  return offer as unknown as Offer;
}
