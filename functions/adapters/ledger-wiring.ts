import { cachedProgrammes, LedgerService } from '../domain/ledger-service';
import { systemClock } from '../shared/clock';
import { setting } from '../shared/config';
import { dynamo } from './aws-clients';
import { DynamoLedgerStore } from './dynamo-ledger-store';
import { DynamoProgrammeStore } from './dynamo-programme-store';

let wired: { ledger: LedgerService; programmes: DynamoProgrammeStore } | undefined;

/** The container's ledger service and programme store on the configured table (API and jobs alike). */
export function ledgerWiring() {
  if (!wired) {
    const tableName = setting('TABLE_NAME');
    const programmes = new DynamoProgrammeStore(dynamo(), tableName);
    wired = { ledger: new LedgerService(new DynamoLedgerStore(dynamo(), tableName), cachedProgrammes(programmes, systemClock), systemClock), programmes };
  }
  return wired;
}
