import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { balanceItem } from '../functions/adapters/dynamo-ledger-store';
import { keys } from '../functions/domain/keys';
import { planEnrol } from '../functions/domain/ledger';
import { programmeSettings } from '../functions/domain/programme';
import { table } from '../functions/declaration/topology';
import { CREDENTIALS, REGION } from '../local/aws-local';
import { importApi, runImport } from '../scripts/import/client';
import { generate } from '../scripts/import/generate';
import { pool } from './harness';

/**
 * The imports scenario: a generated file of `members` members (`membersOnly`: member rows only; else with opening
 * balances and history, whatever the row applier takes of them: the rows it rejects are reported) imported on the
 * twin through the import CLI's calls at `rowsPerSecond`, timed from the create until the job reads `completed`:
 * `import_rows_per_s`. Beside it, the raw rate of as many enrolments written straight to DynamoDB Local (one
 * transaction each: balance, profile, external id, event, idempotency record) with the runner's concurrency in flight
 * (`concurrency`): `raw_import_rows_per_s` and `import_vs_raw_ratio`. On the twin the runner, the queue's pollers and
 * DynamoDB Local share the cores.
 */
export interface ImportSettings {
  members: number;
  membersOnly: boolean;
  rowsPerSecond: number;
  /** Rows the runner applies at once (`IMPORT_CONCURRENCY`). */
  concurrency: number;
  run: number;
}

export interface ImportContext {
  apiUrl: string;
  apiKey: string;
  /** DynamoDB Local itself (not the functions' IAM proxy). */
  dynamodbEndpoint: string;
}

const RAW_TENANT = 'bench-raw-import';
const NEW_ITEM = 'attribute_not_exists(pk)';

export async function runImports(context: ImportContext, settings: ImportSettings) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-imports-'));
  try {
    const file = join(dir, 'rows.ndjson');
    const generated = await generate(file, {
      members: settings.members,
      seed: settings.run,
      membersOnly: settings.membersOnly,
      bad: false,
      tiers: [],
    });
    const start = performance.now();
    const view = await runImport(importApi(context.apiUrl, context.apiKey), file, {
      rowsPerSecond: settings.rowsPerSecond,
      pollMs: 250,
    });
    const elapsedS = (performance.now() - start) / 1000;
    const rawPerS = await rawEnrolments(context.dynamodbEndpoint, generated.rows, settings.concurrency, settings.run);
    const importPerS = view.status === 'completed' ? generated.rows / elapsedS : Number.NaN;
    const figures = {
      import_rows_per_s: Math.round(importPerS),
      raw_import_rows_per_s: Math.round(rawPerS),
      import_vs_raw_ratio: Number((importPerS / rawPerS).toFixed(2)),
      import_rows: generated.rows,
      import_rows_applied: view.rowsDone.applied,
      import_rows_rejected: view.rowsDone.rejected,
    };
    const lines = [
      `import rows            ${figures.import_rows_per_s}/s  (${generated.rows} rows of ${settings.members} ` +
        `members${settings.membersOnly ? ', members only' : ''} at up to ${settings.rowsPerSecond}/s, create → ` +
        `${view.status} in ${elapsedS.toFixed(1)} s; ${view.rowsDone.applied} applied, ${view.rowsDone.unchanged} ` +
        `unchanged, ${view.rowsDone.rejected} rejected)`,
      `raw import rows        ${figures.raw_import_rows_per_s}/s  (one enrol transaction per row, ` +
        `${settings.concurrency} in flight)`,
      `import / raw           ${figures.import_vs_raw_ratio}`,
    ];
    return { figures, lines };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `count` enrolments, each one transaction of the items the enrol operation writes, `concurrency` in flight. */
async function rawEnrolments(endpoint: string, count: number, concurrency: number, run: number): Promise<number> {
  const client = new DynamoDBClient({ endpoint, region: REGION, credentials: CREDENTIALS });
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const settings = programmeSettings.parse({});
  try {
    const start = performance.now();
    await pool(count, concurrency, async (i) => {
      const externalId = `raw-${run}-${i}`;
      const plan = planEnrol(RAW_TENANT, { externalId }, new Date(), settings);
      const { memberId } = plan.balance;
      const put = (item: Record<string, unknown>) => ({
        Put: { TableName: table.localName, Item: item, ConditionExpression: NEW_ITEM },
      });
      await documents.send(
        new TransactWriteCommand({
          TransactItems: [
            put(balanceItem(plan.balance)),
            put({ ...keys.profile(RAW_TENANT, memberId), kind: 'profile', externalId }),
            put({ ...keys.externalId(RAW_TENANT, externalId), kind: 'externalId', memberId }),
            // Not `event`: the twin's stream router would look for the raw tenant's subscriptions.
            put({ ...keys.event(RAW_TENANT, memberId, 1), kind: 'bench-event', type: 'member.enrolled' }),
            put({
              ...keys.idempotency(RAW_TENANT, `raw-${run}-${i}`),
              kind: 'idempotency',
              requestHash: 'h',
              statusCode: 201,
              body: '{}',
            }),
          ],
        }),
      );
    });
    return count / ((performance.now() - start) / 1000);
  } finally {
    client.destroy();
  }
}
