import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { startDynamoDbLocal } from '../../local/dynamodb-local';
import { provisionTable } from '../../local/provision';

export interface LocalTable {
  documents: DynamoDBDocumentClient;
  tableName: string;
  stop(): Promise<void>;
}

/** DynamoDB Local (in memory) with the topology's table, for integration tests; stop() ends the JVM. */
export async function startLocalTable(): Promise<LocalTable> {
  const ddb = await startDynamoDbLocal({});
  const client = new DynamoDBClient({ endpoint: ddb.endpoint, region: REGION, credentials: CREDENTIALS });
  const { tableName } = await provisionTable(client);
  return {
    documents: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    tableName,
    stop: async () => {
      client.destroy();
      await ddb.stop();
    },
  };
}
