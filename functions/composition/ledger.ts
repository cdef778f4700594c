import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ledgerReplies } from '../api/ledger-views';
import { cachedProgrammes, LedgerService } from '../domain/ledger-service';
import { systemClock } from '../shared/clock';
import { setting } from './config';
import { DynamoLedgerStore } from '../adapters/dynamo-ledger-store';
import { DynamoProgrammeStore } from '../adapters/dynamo-programme-store';

/**
 * How long a container plans a member's next commands on the balance it last committed instead of
 * reading it: long enough for a member's burst, short enough that another container's commits
 * rarely make it stale (a stale one costs a failed transaction and a retry, never a wrong commit).
 */
const BALANCE_MEMORY_MS = 5_000;

/** The ledger service, its store and the programme store on the configured table (API and jobs alike). */
export function ledgerWiring(dynamo: DynamoDBDocumentClient) {
  const tableName = setting('TABLE_NAME');
  const programmes = new DynamoProgrammeStore(dynamo, tableName);
  const store = new DynamoLedgerStore(dynamo, tableName);
  return {
    ledger: new LedgerService(store, cachedProgrammes(programmes, systemClock), systemClock, ledgerReplies, {
      balanceMemoryMs: BALANCE_MEMORY_MS,
    }),
    programmes,
    store,
  };
}
