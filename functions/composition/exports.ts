import { documentClient, s3Client } from '../adapters/aws-clients';
import { DynamoExportSource } from '../adapters/dynamo-export-source';
import { DynamoExportStore } from '../adapters/dynamo-export-store';
import { DynamoJobLease } from '../adapters/job-lease';
import { DynamoLakeSettingsStore } from '../adapters/dynamo-lake-settings-store';
import { DynamoLedgerStore } from '../adapters/dynamo-ledger-store';
import { S3ExportWriter } from '../adapters/s3-export-writer';
import { ExportRunner, type MemberIdentities } from '../domain/export-service';
import { memberIdsFor } from '../domain/pseudonyms';
import type { LakeSettingsStore } from '../domain/ports';
import { systemClock } from '../shared/clock';
import { logger } from '../shared/logger';
import { setting } from './config';
import { sealerForKey } from './secrets';

/**
 * Member ids in exports follow the tenant's lake settings: pseudonymised with its key when they say so, as
 * committed when it set none or opted out (as its lake files). Read per run: settings change rarely, runs are few.
 */
export function memberIdentities(store: LakeSettingsStore): MemberIdentities {
  return async (tenantId) => {
    const pseudonymised = (await store.get(tenantId))?.settings.pseudonymiseMemberIds === true;
    return { idOf: await memberIdsFor(store, tenantId, pseudonymised), pseudonymised };
  };
}

/** The scheduled function's lease (one tick at a time) and the runner that writes the due windows' files. */
export function exportsWiring() {
  const dynamo = documentClient();
  const tableName = setting('TABLE_NAME');
  const lakeSettings = new DynamoLakeSettingsStore(dynamo, tableName, sealerForKey(setting('WEBHOOK_SECRETS_KEY')));
  const runner = new ExportRunner(
    new DynamoExportStore(dynamo, tableName),
    new DynamoExportSource(dynamo, tableName, new DynamoLedgerStore(dynamo, tableName)),
    new S3ExportWriter(s3Client({ forcePathStyle: setting('S3_FORCE_PATH_STYLE') }), setting('LAKE_BUCKET_NAME')),
    memberIdentities(lakeSettings),
    systemClock,
    (run, error) => {
      logger.error('Export run failed', { run, error });
    },
  );
  return { lease: new DynamoJobLease(dynamo, tableName), runner };
}
