import { documentClient, s3Client } from '../adapters/aws-clients';
import { DynamoExportSource } from '../adapters/dynamo-export-source';
import { DynamoExportStore } from '../adapters/dynamo-export-store';
import { DynamoJobLease } from '../adapters/job-lease';
import { DynamoLakeSettingsStore } from '../adapters/dynamo-lake-settings-store';
import { DynamoLedgerStore } from '../adapters/dynamo-ledger-store';
import { S3ExportWriter } from '../adapters/s3-export-writer';
import { ExportRunner, type MemberIdentities } from '../domain/export-service';
import { memberPseudonym } from '../domain/minimisation';
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
    const stored = await store.get(tenantId);
    if (!stored?.settings.pseudonymiseMemberIds) return { idOf: (memberId) => memberId, pseudonymised: false };
    const key = await store.pseudonymKey(tenantId);
    // Settings are written with their key, so a missing one is a broken item: refuse rather than leak ids.
    if (key === null) throw new Error(`Tenant ${tenantId} has no pseudonym key`);
    return { idOf: (memberId) => memberPseudonym(key, memberId), pseudonymised: true };
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
