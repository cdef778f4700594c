import { dynamo } from '../adapters/aws-clients';
import { DynamoJobLease } from '../adapters/job-lease';
import { setting } from './config';
import { ledgerWiring } from './ledger';

let lease: DynamoJobLease | undefined;

/** The scheduled job's lease (one run at a time) and the ledger whose due work it runs. */
export function housekeepingWiring() {
  lease ??= new DynamoJobLease(dynamo(), setting('TABLE_NAME'));
  return { lease, ledger: ledgerWiring().ledger };
}
