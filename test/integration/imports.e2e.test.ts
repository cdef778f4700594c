import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createAndUpload,
  errorReport,
  follow,
  importApi,
  ImportApiError,
  runImport,
  type ImportApi,
  type ImportView,
} from '../../scripts/import/client';
import { generate } from '../../scripts/import/generate';
import { tenantTable } from '../support/tenant-fixtures';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * Import jobs on the twin, end to end, as the import CLI does them: a member-only file of 1,000 rows is created,
 * uploaded through the presigned URL (the S3 emulator), started and followed with progress until it completes; the
 * same file again, paused and resumed, changes nothing and says so; a file with bad lines at known places yields
 * exactly the expected error report; a cancelled job stops; bad requests answer their problem codes.
 */
const twin = useTwin();

const dir = mkdtempSync(join(tmpdir(), 'imports-e2e-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function tenantApi(): Promise<ImportApi> {
  const tenants = tenantTable(twin);
  const key = await tenants.issueKey(`imp-${randomBytes(4).toString('hex')}`);
  tenants.destroy();
  return importApi(twin.apiUrl, key);
}

/** The progress lines a non-terminal stream receives (every view, no throttling). */
function progressSink() {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream;
  return { lines, stream };
}

const problemOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => (error instanceof ImportApiError ? { status: error.status, code: error.code } : error),
  );

describe('imports', () => {
  const file = join(dir, 'members.ndjson');

  it('imports 1,000 members with progress, and the same file again (paused, resumed) changes nothing', async () => {
    // Prepare
    const api = await tenantApi();
    await generate(file, { members: 1_000, seed: 7, membersOnly: true, bad: false, tiers: [] });
    const { lines, stream } = progressSink();

    // Act: the first run, followed as the CLI follows it
    const first = await runImport(api, file, { rowsPerSecond: 1_000, pollMs: 300, progress: stream });

    // Assess
    expect(first).toMatchObject({
      status: 'completed',
      rowsDone: { applied: 1_000, unchanged: 0, rejected: 0, total: 1_000 },
      rowsTotal: 1_000,
      percent: 100,
    });
    expect(first.errorReport).toBeUndefined();
    expect(lines.at(-1)).toMatch(/100\.0%\s+1000 rows .* 0 errors/);

    // Act: the same bytes in a new import, paused at once, then resumed
    const again = await createAndUpload(api, file);
    await api.call('POST', `/v1/imports/${again.importId}/start`);
    const paused = await api.call<ImportView>('POST', `/v1/imports/${again.importId}/pause`);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const still = await api.call<ImportView>('GET', `/v1/imports/${again.importId}`);
    await api.call('POST', `/v1/imports/${again.importId}/resume`);
    const rerun = await follow(api, again.importId, { pollMs: 300 });

    // Assess: paused stays paused; the re-run answers every row unchanged and says so
    expect(paused.status).toBe('paused');
    expect(still.status).toBe('paused');
    expect(rerun).toMatchObject({
      status: 'completed',
      rowsDone: { applied: 0, unchanged: 1_000, rejected: 0 },
      summary: 'changed nothing: all 1000 rows unchanged',
    });
  }, 150_000);

  it('writes exactly the expected error report for a file with bad lines', async () => {
    // Prepare: bad lines after every 10th member
    const api = await tenantApi();
    const badFile = join(dir, 'bad.ndjson');
    const { expected, rows } = await generate(badFile, {
      members: 50,
      seed: 9,
      membersOnly: true,
      bad: true,
      badEvery: 10,
      tiers: [],
    });

    // Act
    const view = await runImport(api, badFile, { pollMs: 300 });

    // Assess
    expect(expected.map((entry) => entry.code)).toEqual([
      'invalid_json',
      'invalid_json',
      'line_too_long',
      'member_not_found',
      'unknown_tier',
    ]);
    expect(view).toMatchObject({
      status: 'completed',
      rowsDone: { applied: 50, unchanged: 0, rejected: expected.length, total: rows },
    });
    expect(await errorReport(view)).toEqual(expected);
  }, 60_000);

  it('stops a cancelled import', async () => {
    // Prepare: a slow job
    const api = await tenantApi();
    const job = await createAndUpload(api, file, 5);
    await api.call('POST', `/v1/imports/${job.importId}/start`);
    await waitFor(
      async () => {
        const view = await api.call<ImportView>('GET', `/v1/imports/${job.importId}`);
        return view.rowsDone.total > 0 ? view : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300, what: 'the first chunk of the slow import' },
    );

    // Act
    const cancelled = await api.call<ImportView>('POST', `/v1/imports/${job.importId}/cancel`);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const settled = await api.call<ImportView>('GET', `/v1/imports/${job.importId}`);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const later = await api.call<ImportView>('GET', `/v1/imports/${job.importId}`);

    // Assess: nothing more is applied after the chunk in flight
    expect(cancelled.status).toBe('cancelled');
    expect(later.status).toBe('cancelled');
    expect(later.rowsDone.total).toBe(settled.rowsDone.total);
    expect(later.rowsDone.total).toBeLessThan(1_000);
  }, 60_000);

  it('answers bad requests with stable problem codes and keeps tenants apart', async () => {
    // Prepare
    const api = await tenantApi();
    const other = await tenantApi();
    const job = await api.call<ImportView>('POST', '/v1/imports', {}, { 'idempotency-key': 'k-1' });

    // Act
    const tooFast = await problemOf(
      api.call('POST', '/v1/imports', { rowsPerSecond: 10_000_000 }, { 'idempotency-key': 'k-2' }),
    );
    const notUploaded = await problemOf(api.call('POST', `/v1/imports/${job.importId}/start`));
    const notRunning = await problemOf(api.call('POST', `/v1/imports/${job.importId}/pause`));
    const missing = await problemOf(api.call('GET', '/v1/imports/imp_01M8Y6DH3MQA8CG6J7TYT5H4JZ'));
    const elsewhere = await problemOf(other.call('GET', `/v1/imports/${job.importId}`));
    const replayed = await api.call<ImportView>('POST', '/v1/imports', {}, { 'idempotency-key': 'k-1' });

    // Assess
    expect(tooFast).toEqual({ status: 400, code: 'validation_failed' });
    expect(notUploaded).toEqual({ status: 409, code: 'import_not_uploaded' });
    expect(notRunning).toEqual({ status: 409, code: 'import_state_conflict' });
    expect(missing).toEqual({ status: 404, code: 'import_not_found' });
    expect(elsewhere).toEqual({ status: 404, code: 'import_not_found' });
    expect(replayed.importId).toBe(job.importId);
    expect((await api.call<ImportView>('GET', `/v1/imports/${job.importId}`)).status).toBe('awaiting_upload');
  }, 60_000);
});
