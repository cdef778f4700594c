import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { DynamoApiKeyStore } from '../../functions/adapters/dynamo-api-key-store';
import { ApiKeyService } from '../../functions/domain/api-key-service';
import { systemClock } from '../../functions/shared/clock';
import { CommandFailure, type AdminCommand } from './command';

/**
 * The operator bootstrap: the first operator key comes to exist by writing it straight into the table with the
 * deployer's AWS credentials (whoever may write the table may be an operator), once; every later key goes
 * through the admin API with an operator key.
 */
export const bootstrap: AdminCommand = {
  name: 'bootstrap',
  summary: "Create the first operator key in a deployment's table (the deployer's AWS credentials)",
  usage: `npm run -s admin -- bootstrap --table <table name> [--name <key name>] [--another]

  --table     the ledger table (stack LoyaltyLedger-<stage>, resource type AWS::DynamoDB::Table)
  --name      what the key is for (default: "Operator key")
  --another   issue a key although an active operator key exists
AWS credentials, region and endpoint come from the environment (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB).
The key goes alone to stdout, shown this once (only its hash is stored).`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        table: { type: 'string' },
        name: { type: 'string', default: 'Operator key' },
        another: { type: 'boolean', default: false },
      },
    });
    if (!values.table) throw new CommandFailure('--table is required', 2);
    const client = new DynamoDBClient({});
    try {
      const store = new DynamoApiKeyStore(DynamoDBDocumentClient.from(client), values.table);
      if (!values.another && (await store.hasActiveOperatorKey(systemClock.now()))) {
        throw new CommandFailure('an active operator key exists already; --another issues one more');
      }
      const { key, apiKey } = await new ApiKeyService(store, systemClock).createOperatorKey(null, {
        name: values.name,
      });
      console.error(`operator key ${key.keyId} ('${key.name}'), scope admin`);
      console.error('The key follows on stdout, shown this once (only its hash is stored):');
      console.log(apiKey);
      return 0;
    } finally {
      client.destroy();
    }
  },
};
