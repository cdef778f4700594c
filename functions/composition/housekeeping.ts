import { documentClient } from '../adapters/aws-clients';
import { DynamoJobLease } from '../adapters/job-lease';
import { setting } from './config';
import { ledgerWiring } from './ledger';

/** The scheduled job's lease (one run at a time) and the ledger whose due work it runs. */
export function housekeepingWiring() {
  const dynamo = documentClient();
  return { lease: new DynamoJobLease(dynamo, setting('TABLE_NAME')), ledger: ledgerWiring(dynamo).ledger };
}
