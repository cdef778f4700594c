import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import { outboxItem } from '../domain/outbox';
import type { NoticeWriter } from '../domain/webhooks/notices';
import { applied } from './conditional-write';

/**
 * Writes a webhook notice to the tenant's outbox, in its notice partition: the stream carries it to the webhook
 * router, the feed and the lake like any event. Written once per id (a repeat is a no-op).
 */
export const dynamoNoticeWriter =
  (client: DynamoDBDocumentClient, tableName: string): NoticeWriter =>
  async (event) => {
    await applied(
      client.send(
        new PutCommand({
          TableName: tableName,
          Item: outboxItem(keys.webhookNotice(event.tenantId, event.occurredAt, event.id), event),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  };
