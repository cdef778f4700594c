import { Readable } from 'node:stream';
import { DynamoExportStore } from '../../functions/adapters/dynamo-export-store';
import { ExportRunner, ExportService, type ExportSource } from '../../functions/domain/export-service';
import {
  EXPORT_SETTLE_MS,
  exportPartKey,
  type ExportDefinition,
  type ExportFile,
} from '../../functions/domain/exports';
import { useLocalTable } from '../support/local-table';

/**
 * The export runner against DynamoDB Local: one run per window however many ticks race for it, a failed window
 * redone under the same file names, and the schedule moving on (and off the due index) once a window is done.
 * The source and the file writer are stand-ins that record what would be written.
 */
let store: DynamoExportStore;
useLocalTable(({ documents, tableName }) => {
  store = new DynamoExportStore(documents, tableName);
});

const WINDOW_START = Date.parse('2026-12-02T10:00:00.000Z');
const clockAt = (ms: number) => ({ now: () => new Date(ms) });
const source: ExportSource = {
  rows: () => Readable.from([{ n: 1 }, { n: 2 }, { n: 3 }]),
};

/** Records each write; fails the first `failures` of them after writing one part (a partial run). */
function recordingWriter(failures = 0) {
  const writes: string[][] = [];
  return {
    writes,
    write: async (prefix: string, rows: AsyncIterable<Record<string, unknown>>): Promise<ExportFile[]> => {
      let count = 0;
      for await (const _row of rows) count += 1;
      const keys = [exportPartKey(prefix, 0)];
      writes.push(keys);
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (writes.length <= failures) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      return keys.map((key) => ({ key, rows: count, bytes: 42 }));
    },
  };
}

async function defineExport(tenantId: string, overrides: Partial<ExportDefinition> = {}) {
  const service = new ExportService(store, clockAt(WINDOW_START + 60_000), () => `exp_${tenantId}`);
  const created = await service.create(tenantId, { dataset: 'ledger-entries', cadence: 'hourly', enabled: true });
  const definition = { ...created, ...overrides };
  if (Object.keys(overrides).length > 0) expect(await store.replace(definition, created.updatedAt)).toBe(true);
  return definition;
}

const runner = (writer: ReturnType<typeof recordingWriter>, nowMs: number) =>
  new ExportRunner(store, source, writer, () => Promise.resolve({ idOf: (id) => id, pseudonymised: false }), {
    now: () => new Date(nowMs),
  });

describe('export runs on DynamoDB Local', () => {
  it('runs a window once however many ticks race for it', async () => {
    // Prepare
    const definition = await defineExport('race');
    const writer = recordingWriter();
    const after = WINDOW_START + 3_600_000 + EXPORT_SETTLE_MS;
    // Act
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        runner(writer, after).runWindow(definition, { start: WINDOW_START, end: WINDOW_START + 3_600_000 }),
      ),
    );
    // Assess
    expect(results.filter((result) => result.ran)).toHaveLength(1);
    expect(writer.writes).toHaveLength(1);
    const run = await store.getRun('race', definition.exportId, new Date(WINDOW_START).toISOString());
    expect(run).toMatchObject({ status: 'succeeded', rows: 3, attempts: 1 });
  });

  it('redoes a failed window under the same file names, then never again', async () => {
    // Prepare
    const definition = await defineExport('redo');
    const writer = recordingWriter(1);
    const window = { start: WINDOW_START, end: WINDOW_START + 3_600_000 };
    const after = window.end + EXPORT_SETTLE_MS;
    // Act
    const failed = await runner(writer, after).runWindow(definition, window);
    const redone = await runner(writer, after).runWindow(definition, window);
    const again = await runner(writer, after).runWindow(definition, window);
    // Assess
    expect(failed.run).toMatchObject({ status: 'failed', attempts: 1, error: expect.stringMatching(/^TimeoutError/) });
    expect(failed.run.error).not.toContain('socket');
    expect(redone.run).toMatchObject({ status: 'succeeded', attempts: 2, rows: 3 });
    expect(again).toEqual({ run: redone.run, ran: false });
    expect(writer.writes).toHaveLength(2);
    expect(writer.writes[1]).toEqual(writer.writes[0]);
  });

  it('moves the schedule on after a tick and takes a disabled export off the due index', async () => {
    // Prepare: an hourly export whose windows 10:00 and 11:00 are due at 12:01.
    const definition = await defineExport('tick');
    const writer = recordingWriter();
    const now = WINDOW_START + 2 * 3_600_000 + EXPORT_SETTLE_MS;
    const iso = new Date(now).toISOString();
    expect(await store.listDue(iso, 100)).toContainEqual({ tenantId: 'tick', exportId: definition.exportId });
    // Act
    const totals = await runner(writer, now).tick(now + 60_000);
    // Assess
    // (The due index is global: the other tests' exports are due in this table too.)
    expect(totals.failed).toBe(0);
    expect((await store.get('tick', definition.exportId))?.nextWindowStart).toBe('2026-12-02T12:00:00.000Z');
    expect(await store.listDue(iso, 100)).not.toContainEqual({ tenantId: 'tick', exportId: definition.exportId });
    expect(writer.writes.flat().filter((key) => key.includes(`export=${definition.exportId}/`))).toHaveLength(2);
    const runs = await store.listRuns('tick', definition.exportId, { limit: 1 });
    expect(runs.items.map((run) => run.windowStart)).toEqual(['2026-12-02T11:00:00.000Z']);
    expect(runs.nextCursor).toBeDefined();
    const older = await store.listRuns('tick', definition.exportId, { limit: 5, cursor: runs.nextCursor });
    expect(older.items.map((run) => run.windowStart)).toEqual(['2026-12-02T10:00:00.000Z']);

    // Act: switched off, the export leaves the due index even when its windows are due.
    const off = await new ExportService(store, clockAt(now), () => 'unused').update('tick', definition.exportId, {
      enabled: false,
    });
    // Assess
    expect(off.changedFields).toEqual(['enabled']);
    expect(await store.listDue(new Date(now + 86_400_000).toISOString(), 100)).not.toContainEqual({
      tenantId: 'tick',
      exportId: definition.exportId,
    });
  });
});
