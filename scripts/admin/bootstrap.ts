import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { DynamoApiKeyStore } from '../../functions/adapters/dynamo-api-key-store';
import { ApiKeyService } from '../../functions/domain/api-key-service';
import { systemClock } from '../../functions/shared/clock';
import { UsageError } from './client';

/**
 * The operator bootstrap: the first operator key comes to exist by writing it straight into the table with the
 * deployer's AWS credentials (whoever may write the table may be an operator), once; every later key goes
 * through the admin API with an operator key.
 */
export const BOOTSTRAP_USAGE = `bootstrap --table <table name> [--name <key name>] [--another]
      (the deployer's AWS credentials: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB; the key alone on stdout)`;

/** Creates the operator key and prints it alone on stdout; refuses (exit 1) while an active one exists. */
export async function bootstrap(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      table: { type: 'string' },
      name: { type: 'string', default: 'Operator key' },
      another: { type: 'boolean', default: false },
    },
  });
  if (!values.table) throw new UsageError('bootstrap needs --table');
  const client = new DynamoDBClient({});
  try {
    const store = new DynamoApiKeyStore(DynamoDBDocumentClient.from(client), values.table);
    if (!values.another && (await store.hasActiveOperatorKey(systemClock.now()))) {
      console.error('admin: an active operator key exists already; --another issues one more');
      return 1;
    }
    const { key, apiKey } = await new ApiKeyService(store, systemClock).createOperatorKey(null, { name: values.name });
    console.error(`operator key ${key.keyId} ('${key.name}'), scope admin`);
    console.error('The key follows on stdout, shown this once (only its hash is stored):');
    console.log(apiKey);
    return 0;
  } finally {
    client.destroy();
  }
}
