import { ledgerReplies } from '../api/ledger-views';
import { cachedProgrammes, LedgerService } from '../domain/ledger-service';
import { systemClock } from '../shared/clock';
import { setting } from './config';
import { dynamo } from '../adapters/aws-clients';
import { DynamoLedgerStore } from '../adapters/dynamo-ledger-store';
import { DynamoProgrammeStore } from '../adapters/dynamo-programme-store';

let wired: { ledger: LedgerService; programmes: DynamoProgrammeStore; store: DynamoLedgerStore } | undefined;

/** The container's ledger service, its store and the programme store on the configured table (API and jobs alike). */
export function ledgerWiring() {
  if (!wired) {
    const tableName = setting('TABLE_NAME');
    const programmes = new DynamoProgrammeStore(dynamo(), tableName);
    const store = new DynamoLedgerStore(dynamo(), tableName);
    wired = {
      ledger: new LedgerService(store, cachedProgrammes(programmes, systemClock), systemClock, ledgerReplies),
      programmes,
      store,
    };
  }
  return wired;
}
