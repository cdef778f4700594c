import { documentClient, s3Client, sqsClient } from '../adapters/aws-clients';
import { DynamoImportStore } from '../adapters/dynamo-import-store';
import { DynamoJobLease } from '../adapters/job-lease';
import { S3ImportObjects } from '../adapters/s3-import-objects';
import { SqsImportQueue } from '../adapters/sqs-import-queue';
import { importRowApplier } from '../api/import-rows';
import type { ImportStepMessage } from '../domain/imports';
import { ImportRunner } from '../domain/imports-runner';
import { ImportService } from '../domain/imports-service';
import { systemClock } from '../shared/clock';
import { newId } from '../shared/ids';
import { commandServicesOn } from './command-services';
import { setting } from './config';

const importObjects = () =>
  new S3ImportObjects(s3Client({ forcePathStyle: setting('S3_FORCE_PATH_STYLE') }), setting('IMPORTS_BUCKET_NAME'));

/** The API's side of imports: the jobs, the bucket (upload URLs, the upload's size) and the step queue. */
export function importService(): ImportService {
  let queue: SqsImportQueue | undefined;
  let objects: S3ImportObjects | undefined;
  const lazyObjects = () => (objects ??= importObjects());
  return new ImportService(
    new DynamoImportStore(documentClient(), setting('TABLE_NAME')),
    {
      uploadUrl: (key, seconds) => lazyObjects().uploadUrl(key, seconds),
      downloadUrl: (key, seconds) => lazyObjects().downloadUrl(key, seconds),
      size: (key) => lazyObjects().size(key),
      read: (key, offset, length) => lazyObjects().read(key, offset, length),
      put: (key, body) => lazyObjects().put(key, body),
      get: (key) => lazyObjects().get(key),
    },
    {
      schedule: (message, delaySeconds) =>
        (queue ??= new SqsImportQueue(sqsClient(), setting('IMPORT_QUEUE_URL'))).schedule(message, delaySeconds),
    },
    systemClock,
    () => newId('imp'),
    setting('IMPORT_MAX_ROWS_PER_SECOND'),
  );
}

/**
 * The import runner's composition: the ledger side the row applier needs (as the batch worker's: ledger, offers,
 * reward catalogue, audit trail, tenants, all on the table), the jobs, the lease, the bucket and its own queue.
 */
export function importSteps(): (body: string, receiveCount: number, holder: string) => Promise<void> {
  const dynamo = documentClient();
  const tableName = setting('TABLE_NAME');
  const { services, resolve } = commandServicesOn(dynamo, tableName);
  const runner = new ImportRunner(
    new DynamoImportStore(dynamo, tableName),
    importObjects(),
    new SqsImportQueue(sqsClient(), setting('IMPORT_QUEUE_URL')),
    new DynamoJobLease(dynamo, tableName),
    importRowApplier(services, resolve),
    systemClock,
  );
  return (body, receiveCount, holder) => runner.run(JSON.parse(body) as ImportStepMessage, receiveCount, holder);
}
