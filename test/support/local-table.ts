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

/**
 * The table of a test file: started before its tests (then `onStart` builds what they use on it),
 * stopped after them. The handle is filled in when the table is up, so it is read inside tests and hooks.
 */
export function useLocalTable(onStart: (table: LocalTable) => void = () => {}): LocalTable {
  const table = {} as Partial<LocalTable>;
  beforeAll(async () => {
    Object.assign(table, await startLocalTable());
    onStart(table as LocalTable);
  }, 60_000);
  afterAll(async () => {
    await table.stop?.();
  });
  return table as LocalTable;
}
