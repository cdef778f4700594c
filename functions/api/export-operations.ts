import * as z from '../shared/zod';
import {
  EXPORT_DATASETS,
  exportCadence,
  MAX_EXPORTS_PER_TENANT,
  type ExportDefinition,
  type ExportRun,
} from '../domain/exports';
import { recordAudit } from './audit-operations';
import { pageView } from './ledger-views';
import { errors, pathParam, problem, type Operation } from './operation-kit';
import { readOperation, writeOperation } from './operation-shapes';
import { listQuery } from './schemas';

/**
 * Scheduled exports: a dataset (balances, members without profile data, ledger entries) written to the tenant's
 * prefix of the lake bucket as gzip NDJSON on a cadence, one run per window, visible with its rows and files.
 * Scope `data:manage`, like the lake settings whose pseudonymisation the exports follow.
 */

const exportsArea = { tag: 'Exports', scope: 'data:manage' } as const;
const notFound = problem('No such export');

const exportResponse = z
  .object({
    exportId: z.string(),
    dataset: z.enum(EXPORT_DATASETS),
    cadence: exportCadence,
    enabled: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    nextWindowStart: z.iso.datetime().check(z.describe('The start of the oldest window not yet exported')),
  })
  .check(z.describe('A scheduled export'));

const runResponse = z
  .object({
    exportId: z.string(),
    dataset: z.enum(EXPORT_DATASETS),
    windowStart: z.iso.datetime(),
    windowEnd: z.iso.datetime().check(z.describe('Exclusive')),
    status: z.enum(['running', 'succeeded', 'failed']),
    rows: z.number().check(z.int(), z.describe('Rows in all files')),
    files: z.array(
      z.object({
        key: z.string().check(z.describe('Object key in the lake bucket')),
        rows: z.number().check(z.int()),
        bytes: z.number().check(z.int(), z.describe('Compressed size')),
      }),
    ),
    startedAt: z.iso.datetime(),
    finishedAt: z.optional(z.iso.datetime()),
    error: z.optional(z.string()),
    attempts: z.number().check(z.int(), z.describe('Times the window was started (a failed run is redone)')),
  })
  .check(z.describe('One run of an export: its window, outcome, rows and files'));

const exportView = ({ tenantId: _tenantId, requestedWindowStart: _requested, ...view }: ExportDefinition) => view;
const runView = (run: ExportRun) => run;

export const exportOperations: Operation[] = [
  writeOperation({
    ...exportsArea,
    method: 'POST',
    path: '/v1/exports',
    operationId: 'createExport',
    summary:
      `Define a scheduled export (at most ${MAX_EXPORTS_PER_TENANT}): its files go to ` +
      '`exports/tenant=<t>/export=<id>/window=<start>/` in the lake bucket; the first window is the one now',
    request: z.strictObject({
      dataset: z
        .enum(EXPORT_DATASETS)
        .check(z.describe('Balances and members are snapshots at run time; entries per window')),
      cadence: exportCadence,
      enabled: z._default(z.boolean(), true),
    }),
    responses: { 201: { description: 'The export', schema: exportResponse }, 409: problem('Too many exports') },
    run: async (ctx, body) => {
      const definition = await ctx.services.exports.create(ctx.tenantId, body);
      await recordAudit(
        ctx,
        'audit.export.created',
        definition.exportId,
        { dataset: definition.dataset, cadence: definition.cadence },
        { at: definition.createdAt },
      );
      return { statusCode: 201, body: exportView(definition) };
    },
  }),
  readOperation({
    ...exportsArea,
    path: '/v1/exports',
    operationId: 'listExports',
    summary: 'The tenant’s scheduled exports',
    ok: { description: 'Every export', schema: z.object({ items: z.array(exportResponse) }) },
    read: async ({ tenantId, services }) => ({ items: (await services.exports.list(tenantId)).map(exportView) }),
  }),
  readOperation({
    ...exportsArea,
    path: '/v1/exports/{exportId}',
    operationId: 'getExport',
    summary: 'One scheduled export',
    ok: { description: 'The export', schema: exportResponse },
    notFound: 'No such export',
    read: async ({ event, tenantId, services }) =>
      exportView(await services.exports.get(tenantId, pathParam(event, 'exportId'))),
  }),
  writeOperation({
    ...exportsArea,
    method: 'PATCH',
    path: '/v1/exports/{exportId}',
    operationId: 'updateExport',
    summary:
      'Change the cadence or switch the export on or off; either restarts the schedule at the window that holds now',
    request: z.strictObject({ cadence: z.optional(exportCadence), enabled: z.optional(z.boolean()) }),
    responses: {
      200: { description: 'The export', schema: exportResponse },
      404: notFound,
      409: problem('Changed concurrently'),
    },
    run: async (ctx, body) => {
      const exportId = pathParam(ctx.event, 'exportId');
      const { definition, changedFields } = await ctx.services.exports.update(ctx.tenantId, exportId, body);
      if (changedFields.length > 0)
        await recordAudit(ctx, 'audit.export.updated', exportId, { changedFields }, { at: definition.updatedAt });
      return { statusCode: 200, body: exportView(definition) };
    },
  }),
  {
    ...exportsArea,
    method: 'DELETE',
    path: '/v1/exports/{exportId}',
    operationId: 'deleteExport',
    summary: 'Delete a scheduled export: no more runs; files already written stay in the lake',
    idempotent: false,
    responses: { 204: { description: 'Deleted' }, ...errors, 404: notFound },
    run: async (ctx) => {
      const exportId = pathParam(ctx.event, 'exportId');
      await ctx.services.exports.delete(ctx.tenantId, exportId);
      await recordAudit(ctx, 'audit.export.deleted', exportId, {});
      return { statusCode: 204, body: null };
    },
  },
  readOperation({
    ...exportsArea,
    path: '/v1/exports/{exportId}/runs',
    operationId: 'listExportRuns',
    summary: 'The export’s runs, newest window first: window, status, rows and files of each',
    query: z.strictObject(listQuery),
    ok: {
      description: 'A page of runs',
      schema: z.object({ items: z.array(runResponse), nextCursor: z.optional(z.string()) }),
    },
    notFound: 'No such export',
    read: async ({ event, tenantId, services }, query) =>
      pageView(await services.exports.runs(tenantId, pathParam(event, 'exportId'), query), runView),
  }),
  writeOperation({
    ...exportsArea,
    method: 'POST',
    path: '/v1/exports/{exportId}/run',
    operationId: 'runExport',
    summary:
      'Export the latest due window now: 200 with its run when it succeeded already (nothing is written again), ' +
      'else 202 and the scheduler runs it on its next tick (every minute)',
    request: z.strictObject({}),
    responses: {
      200: { description: 'The window was exported already', schema: z.object({ run: runResponse }) },
      202: {
        description: 'The window is queued; follow it in the runs',
        schema: z.object({
          windowStart: z.iso.datetime(),
          windowEnd: z.iso.datetime(),
          run: z.optional(runResponse).check(z.describe('Its earlier run, when one failed or still runs')),
        }),
      },
      404: notFound,
    },
    run: async (ctx) => {
      const { windowStart, windowEnd, run } = await ctx.services.exports.requestRun(
        ctx.tenantId,
        pathParam(ctx.event, 'exportId'),
      );
      if (run?.status === 'succeeded') return { statusCode: 200, body: { run } };
      return { statusCode: 202, body: { windowStart, windowEnd, ...(run ? { run } : {}) } };
    },
  }),
];
