import * as z from '../shared/zod';
import {
  etaSeconds,
  IMPORT_STATUSES,
  importRequest,
  importSummary,
  totalRows,
  type ImportJob,
} from '../domain/imports';
import type { ImportService, ImportUpload } from '../domain/imports-service';
import { pathParam, problem, type Operation, type OperationContext } from './operation-kit';
import { commandOperation, readOperation, writeOperation } from './operation-shapes';
import { listQuery } from './schemas';

/**
 * Import jobs (historical loads, docs/decisions/0016-import-jobs.md): create one and upload its NDJSON file with the
 * presigned URL it answers, start it, watch its progress, pause, resume or cancel it. Scopes as batches: changing
 * jobs needs `members:write` (a job creates and changes members), reading them `members:read`.
 */

const imports = { tag: 'Imports' } as const;

const rowsDone = z.object({
  applied: z.number().check(z.int(), z.describe('Rows that changed the ledger')),
  unchanged: z.number().check(z.int(), z.describe('Rows already applied (by this or an earlier import)')),
  rejected: z.number().check(z.int(), z.describe('Rows refused or unparseable: each is a line of the error report')),
  total: z.number().check(z.int()),
});

const importResponse = z
  .object({
    importId: z.string(),
    status: z.enum(IMPORT_STATUSES),
    rowsPerSecond: z.number().check(z.int(), z.describe('The job’s rate (rows per second at most)')),
    rowsDone,
    rowsTotal: z.optional(z.number().check(z.int(), z.describe('Rows in the file, once the job has read it all'))),
    bytesRead: z.number().check(z.int()),
    objectBytes: z.optional(z.number().check(z.int(), z.describe('The file’s size, once started'))),
    percent: z.optional(z.number().check(z.describe('Bytes read of the file’s size, 0–100'))),
    recentRowsPerSecond: z.number().check(z.describe('Rows per second over the last chunks')),
    errorsSoFar: z.number().check(z.int()),
    etaSeconds: z.optional(z.number().check(z.int(), z.describe('Seconds left at the recent rate'))),
    summary: z.string().check(z.describe('What the job did; a re-run of an applied file says it changed nothing')),
    errorReport: z.optional(
      z.object({ url: z.string(), expiresAt: z.iso.datetime() }).check(z.describe('A presigned GET of the report')),
    ),
    createdAt: z.iso.datetime(),
    startedAt: z.optional(z.iso.datetime()),
    finishedAt: z.optional(z.iso.datetime()),
    errors: z.array(z.string()).check(z.describe('Why it failed, when it did')),
  })
  .check(z.describe('An import job and its progress'));

const uploadResponse = z.object({
  url: z.string().check(z.describe('PUT the file here (valid 15 minutes)')),
  method: z.literal('PUT'),
  headers: z.record(z.string(), z.string()).check(z.describe('Send these headers with the PUT')),
  expiresAt: z.iso.datetime(),
});

const createdResponse = z.object({ ...importResponse.shape, upload: uploadResponse });
const importList = z.object({ items: z.array(importResponse), nextCursor: z.optional(z.string()) });

async function importView(job: ImportJob, service: ImportService) {
  const objectBytes = job.objectBytes;
  const eta = etaSeconds(job);
  const report = await service.reportUrl(job);
  const total = totalRows(job.counts);
  return {
    importId: job.importId,
    status: job.status,
    rowsPerSecond: job.rowsPerSecond,
    rowsDone: { ...job.counts, total },
    ...(job.status === 'completed' ? { rowsTotal: total } : {}),
    bytesRead: job.offset,
    ...(objectBytes !== undefined ? { objectBytes } : {}),
    ...(objectBytes !== undefined
      ? { percent: objectBytes === 0 ? 100 : Math.floor((job.offset * 1000) / objectBytes) / 10 }
      : {}),
    recentRowsPerSecond: job.recentRowsPerSecond,
    errorsSoFar: job.counts.rejected,
    ...(eta !== undefined && !['completed', 'cancelled', 'failed'].includes(job.status) ? { etaSeconds: eta } : {}),
    summary: importSummary(job),
    ...(report ? { errorReport: report } : {}),
    createdAt: job.createdAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    errors: job.errors,
  };
}

const created = async (job: ImportJob, upload: ImportUpload, service: ImportService) => ({
  ...(await importView(job, service)),
  upload,
});

/** An action on one job (start, pause, resume, cancel): no body, answers the job as it is now. */
function importAction(
  action: 'start' | 'pause' | 'resume' | 'cancel',
  summary: string,
  extra: Operation['responses'] = {},
): Operation {
  return writeOperation({
    ...imports,
    scope: 'members:write',
    method: 'POST',
    path: `/v1/imports/{importId}/${action}`,
    operationId: `${action}Import`,
    summary,
    request: z.strictObject({}),
    responses: {
      200: { description: 'The import as it is now', schema: importResponse },
      404: problem('No such import (import_not_found)'),
      409: problem('The import’s status does not allow this (import_state_conflict)'),
      ...extra,
    },
    run: async (ctx: OperationContext) => {
      const service = ctx.services.imports;
      const job = await service[action](ctx.tenantId, pathParam(ctx.event, 'importId'));
      return { statusCode: 200, body: await importView(job, service) };
    },
  });
}

export const importOperations: Operation[] = [
  commandOperation({
    ...imports,
    scope: 'members:write',
    path: '/v1/imports',
    operationId: 'createImport',
    summary:
      'Create an import job: answers a presigned URL to PUT its NDJSON file (members, opening balances, history) ' +
      'to, valid 15 minutes; then start it',
    request: importRequest,
    responses: {
      201: {
        description: 'The job, awaiting its upload (a retry with the key answers the same job)',
        schema: createdResponse,
      },
    },
    run: async (ctx, body, idem) => {
      const service = ctx.services.imports;
      const { job, upload } = await service.create(ctx.tenantId, ctx.principal.credentialId, body, idem);
      return { statusCode: 201, body: await created(job, upload, service) };
    },
  }),
  readOperation({
    ...imports,
    scope: 'members:read',
    path: '/v1/imports',
    operationId: 'listImports',
    summary: 'The tenant’s imports, newest first',
    query: z.strictObject(listQuery),
    ok: { description: 'A page of imports', schema: importList },
    read: async ({ tenantId, services }, query) => {
      const page = await services.imports.list(tenantId, query);
      const items = await Promise.all(page.items.map((job) => importView(job, services.imports)));
      return { items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    },
  }),
  readOperation({
    ...imports,
    scope: 'members:read',
    path: '/v1/imports/{importId}',
    operationId: 'getImport',
    summary: 'An import and its progress: rows done, rate, errors so far, time left, the error report',
    ok: { description: 'The import', schema: importResponse },
    notFound: 'No such import (import_not_found)',
    read: async ({ tenantId, services, event }) =>
      importView(await services.imports.get(tenantId, pathParam(event, 'importId')), services.imports),
  }),
  importAction('start', 'Start an import whose file is uploaded: its rows are applied at its rate (again: no-op)', {
    409: problem('Not uploaded yet (import_not_uploaded), or already started (import_state_conflict)'),
    413: problem('The file is larger than an import takes (import_too_large)'),
  }),
  importAction('pause', 'Pause an import: it stops after the chunk in progress, keeping its place'),
  importAction('resume', 'Resume a paused (or failed) import from its place'),
  importAction('cancel', 'Cancel an import: nothing more is applied; what was applied stays'),
];
