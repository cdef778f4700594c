import type { ImportRowApplier } from '../../functions/domain/import-rows';
import {
  etaSeconds,
  IMPORT_MAX_LINE_BYTES,
  importReportKey,
  importSummary,
  nextStatus,
  stepAction,
  type ImportAction,
  type ImportJob,
  type ImportStatus,
} from '../../functions/domain/imports';
import { splitLines } from '../../functions/domain/imports-lines';
import {
  ImportRunner,
  type ChunkProgress,
  type ImportObjects,
  type ImportStore,
} from '../../functions/domain/imports-runner';
import { applyInKeyOrder, orderKeyOf, RowPacer, withRetries } from '../../functions/domain/imports-scheduler';
import { ImportService } from '../../functions/domain/imports-service';
import { Problem } from '../../functions/shared/problem';

const utf8 = (text: string) => new TextEncoder().encode(text);
const split = (text: string, options: { final?: boolean; skipping?: boolean; maxRows?: number; line?: number } = {}) =>
  splitLines({
    bytes: utf8(text),
    line: options.line ?? 0,
    skipping: options.skipping ?? false,
    final: options.final ?? false,
    maxRows: options.maxRows ?? 100,
  });

describe('splitting a read into rows', () => {
  it('leaves a partial last line for the next read and tolerates CRLF and blank lines', () => {
    // Act
    const result = split('{"a":1}\r\n\n  \n{"b":2}\n{"c"');

    // Assess: blank lines count as lines but yield no row; the partial line is not consumed
    expect(result.rows).toEqual([
      { line: 1, kind: 'row', value: { a: 1 } },
      { line: 4, kind: 'row', value: { b: 2 } },
    ]);
    expect(result.consumed).toBe(utf8('{"a":1}\r\n\n  \n{"b":2}\n').length);
    expect(result.line).toBe(4);
  });

  it('takes the last line without a line end when the read ends the object', () => {
    // Act
    const result = split('{"a":1}\n{"c":3}', { final: true });

    // Assess
    expect(result.rows.map((row) => row.line)).toEqual([1, 2]);
    expect(result.consumed).toBe(utf8('{"a":1}\n{"c":3}').length);
  });

  it('reports invalid JSON with its line and goes on', () => {
    // Act
    const result = split('{"a":1}\nnot json\n{"b":2}\n');

    // Assess
    expect(result.rows.map((row) => [row.line, row.kind === 'error' ? row.code : 'row'])).toEqual([
      [1, 'row'],
      [2, 'invalid_json'],
      [3, 'row'],
    ]);
  });

  it('reports a line over the cap once and skips it, across reads too', () => {
    // Prepare: a long line that the first read ends inside
    const long = 'x'.repeat(IMPORT_MAX_LINE_BYTES + 10);

    // Act
    const first = split(`{"a":1}\n${long}`);
    const second = split('xxxx\n{"b":2}\n', { skipping: first.skipping, line: first.line });

    // Assess
    expect(first.rows[1]).toMatchObject({ line: 2, kind: 'error', code: 'line_too_long' });
    expect(first.skipping).toBe(true);
    expect(first.consumed).toBe(utf8(`{"a":1}\n${long}`).length);
    expect(second.rows).toEqual([{ line: 3, kind: 'row', value: { b: 2 } }]);
    expect(second.skipping).toBe(false);
  });

  it('stops at the row limit and never splits a UTF-8 character', () => {
    // Act
    const limited = split('{"a":1}\n{"b":2}\n{"c":3}\n', { maxRows: 2 });
    const accented = split('{"name":"Ana Conceição"}\n');

    // Assess
    expect(limited.rows).toHaveLength(2);
    expect(limited.consumed).toBe(utf8('{"a":1}\n{"b":2}\n').length);
    expect(accented.rows[0]).toMatchObject({ value: { name: 'Ana Conceição' } });
  });
});

describe('pacing and ordering', () => {
  it('keeps the job rate with a token bucket one second deep', async () => {
    // Prepare: a clock that only the pacer's sleeps move
    let nowMs = 0;
    const pacer = new RowPacer(
      10,
      () => nowMs,
      (ms) => {
        nowMs += ms;
        return Promise.resolve();
      },
    );

    // Act
    for (let i = 0; i < 50; i++) await pacer.take();

    // Assess: 10 at once, then 40 more at 10 per second
    expect(nowMs).toBeGreaterThanOrEqual(3_900);
    expect(nowMs).toBeLessThanOrEqual(4_100);
  });

  it("applies one member's rows in file order, members side by side, within the concurrency", async () => {
    // Prepare
    const rows = [
      { externalId: 'a', n: 1 },
      { externalId: 'b', n: 2 },
      { externalId: 'a', n: 3 },
      { externalId: 'c', n: 4 },
      { externalId: 'a', n: 5 },
      { n: 6 },
    ];
    const seen: number[] = [];
    let inFlight = 0;
    let most = 0;

    // Act
    const results = await applyInKeyOrder(
      rows,
      (row) => orderKeyOf(row, row.n),
      2,
      async (row) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, row.externalId === 'a' ? 5 : 1));
        seen.push(row.n);
        inFlight -= 1;
        return row.n * 10;
      },
    );

    // Assess
    expect(results).toEqual([10, 20, 30, 40, 50, 60]);
    expect(seen.filter((n) => [1, 3, 5].includes(n))).toEqual([1, 3, 5]);
    expect(most).toBe(2);
  });

  it('retries a throwing row with backoff and gives up after its attempts', async () => {
    // Prepare
    const waits: number[] = [];
    const sleep = (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    };
    let calls = 0;

    // Act
    const value = await withRetries(
      () => (++calls < 3 ? Promise.reject(new Error('busy')) : Promise.resolve('ok')),
      5,
      sleep,
    );
    const failing = withRetries(() => Promise.reject(new Error('down')), 2, sleep);

    // Assess
    expect(value).toBe('ok');
    await expect(failing).rejects.toThrow('down');
    expect(waits).toEqual([200, 400, 200]);
  });
});

describe('the state machine and the figures', () => {
  it.each<[ImportStatus, ImportAction, ImportStatus | 'conflict']>([
    ['awaiting_upload', 'start', 'queued'],
    ['running', 'pause', 'paused'],
    ['paused', 'resume', 'queued'],
    ['failed', 'resume', 'queued'],
    ['paused', 'cancel', 'cancelled'],
    ['completed', 'cancel', 'conflict'],
    ['running', 'start', 'conflict'],
    ['running', 'resume', 'conflict'],
  ])('%s + %s → %s', (status, action, expected) => {
    // Act
    const next = () => nextStatus(status, action);

    // Assess
    if (expected === 'conflict') expect(next).toThrow(expect.objectContaining({ code: 'import_state_conflict' }));
    else expect(next()).toBe(expected);
  });

  it('estimates the time left from the bytes per line and the recent rate', () => {
    expect(etaSeconds({ objectBytes: 10_000, offset: 1_000, line: 10, recentRowsPerSecond: 30 })).toBe(3);
    expect(etaSeconds({ objectBytes: 10_000, offset: 10_000, line: 100, recentRowsPerSecond: 30 })).toBe(0);
    expect(etaSeconds({ objectBytes: 10_000, offset: 0, line: 0, recentRowsPerSecond: 0 })).toBeUndefined();
    expect(etaSeconds({ offset: 0, line: 0, recentRowsPerSecond: 0 })).toBeUndefined();
  });

  it('says a re-run changed nothing', () => {
    expect(importSummary({ status: 'completed', counts: { applied: 0, unchanged: 5, rejected: 0 } })).toBe(
      'changed nothing: all 5 rows unchanged',
    );
    expect(importSummary({ status: 'completed', counts: { applied: 4, unchanged: 0, rejected: 1 } })).toBe(
      'completed: 4 applied, 0 unchanged, 1 rejected',
    );
  });

  it('drops a copy of a step already run, and resends a chain that stopped', () => {
    // Prepare
    const job = { status: 'running', step: 3, chainedStep: 2, updatedAt: new Date(0).toISOString() } as ImportJob;
    const message = { tenantId: 't', importId: 'i', step: 2 };

    // Act / Assess
    expect(stepAction(job, { ...message, step: 3 }, 1_000)).toBe('run');
    expect(stepAction(job, message, 1_000)).toBe('drop');
    expect(stepAction(job, message, 10 * 60_000)).toBe('rechain');
    expect(stepAction({ ...job, status: 'paused' }, { ...message, step: 3 }, 1_000)).toBe('drop');
  });
});

/** Jobs with the store's conditions: a chunk counts only from the offset it started at. */
class MemoryStore implements ImportStore {
  readonly jobs = new Map<string, ImportJob>();
  private readonly claims = new Map<string, { importId: string; requestHash: string }>();

  create(job: ImportJob, claim?: { key: string; requestHash: string }) {
    if (claim && this.claims.has(claim.key)) return Promise.reject(new Problem('idempotency_key_reused'));
    this.jobs.set(job.importId, structuredClone(job));
    if (claim) this.claims.set(claim.key, { importId: job.importId, requestHash: claim.requestHash });
    return Promise.resolve();
  }
  claimed(_tenantId: string, key: string) {
    return Promise.resolve(this.claims.get(key) ?? null);
  }
  get(_tenantId: string, importId: string) {
    const job = this.jobs.get(importId);
    return Promise.resolve(job ? structuredClone(job) : null);
  }
  list() {
    return Promise.resolve({ items: [...this.jobs.values()] });
  }
  move(_t: string, importId: string, action: ImportAction, at: string, extra: { objectBytes?: number } = {}) {
    const job = this.jobs.get(importId);
    if (!job) return Promise.resolve(null);
    try {
      job.status = nextStatus(job.status, action);
    } catch {
      return Promise.resolve(null);
    }
    Object.assign(job, extra, { updatedAt: at });
    return Promise.resolve(structuredClone(job));
  }
  beginStep(_t: string, importId: string, step: number) {
    const job = this.jobs.get(importId)!;
    if (job.step !== step || !['queued', 'running'].includes(job.status)) return Promise.resolve(false);
    job.status = 'running';
    return Promise.resolve(true);
  }
  checkpoint(_t: string, importId: string, progress: ChunkProgress) {
    const job = this.jobs.get(importId)!;
    if (job.step !== progress.step || job.offset !== progress.from) return Promise.resolve(false);
    Object.assign(job, {
      offset: progress.offset,
      line: progress.line,
      skipping: progress.skipping,
      errorParts: progress.errorParts,
      recentRowsPerSecond: progress.recentRowsPerSecond,
    });
    for (const key of ['applied', 'unchanged', 'rejected'] as const) job.counts[key] += progress.added[key];
    return Promise.resolve(true);
  }
  advanceStep(_t: string, importId: string, step: number) {
    const job = this.jobs.get(importId)!;
    if (job.step !== step) return Promise.resolve(false);
    job.step += 1;
    return Promise.resolve(true);
  }
  markChained(_t: string, importId: string, step: number) {
    const job = this.jobs.get(importId)!;
    job.chainedStep = Math.max(job.chainedStep, step);
    return Promise.resolve();
  }
  finish(_t: string, importId: string, end: { status: 'completed' | 'failed' | 'cancelled'; reportKey?: string }) {
    const job = this.jobs.get(importId)!;
    job.status = end.status;
    if (end.reportKey) job.reportKey = end.reportKey;
    return Promise.resolve(true);
  }
}

class MemoryObjects implements ImportObjects {
  readonly files = new Map<string, Uint8Array>();
  uploadUrl(key: string) {
    return Promise.resolve({ url: `memory://${key}`, headers: {} });
  }
  downloadUrl(key: string) {
    return Promise.resolve(`memory://${key}`);
  }
  size(key: string) {
    return Promise.resolve(this.files.get(key)?.length);
  }
  read(key: string, offset: number, length: number) {
    return Promise.resolve(this.files.get(key)!.subarray(offset, offset + length));
  }
  put(key: string, body: string) {
    this.files.set(key, utf8(body));
    return Promise.resolve();
  }
  get(key: string) {
    return Promise.resolve(new TextDecoder().decode(this.files.get(key)));
  }
}

/** A ledger of members by external id: a row applied twice is unchanged; a row without email is rejected. */
function memoryApplier(options: { failFirst?: number } = {}) {
  const applied = new Map<string, string>();
  const order: { externalId: string; n?: number }[] = [];
  let failures = options.failFirst ?? 0;
  const apply: ImportRowApplier = (_tenantId, row) => {
    if (failures > 0) {
      failures -= 1;
      return Promise.reject(new Error('throttled'));
    }
    const { externalId, email, n } = row as { externalId: string; email?: string; n?: number };
    if (!email) return Promise.resolve({ outcome: 'rejected', code: 'invalid_row', message: 'email is required' });
    order.push({ externalId, n });
    const content = JSON.stringify(row);
    if (applied.get(content)) return Promise.resolve({ outcome: 'unchanged', memberId: externalId });
    applied.set(content, externalId);
    return Promise.resolve({ outcome: 'applied', memberId: externalId });
  };
  return { apply, order };
}

/** `tickMs`: each look at the clock moves it on (work takes time). */
function harness(apply: ImportRowApplier, options: { budgetMs?: number; tickMs?: number } = {}) {
  const { budgetMs = 60_000, tickMs = 0 } = options;
  let nowMs = Date.UTC(2026, 11, 1);
  const clock = { now: () => new Date((nowMs += tickMs)) };
  const sleep = (ms: number) => {
    nowMs += ms;
    return Promise.resolve();
  };
  const store = new MemoryStore();
  const objects = new MemoryObjects();
  const sent: { step: number; delaySeconds: number }[] = [];
  /** Whether the job's lease was held when each message was sent. */
  const sentWhileHeld: boolean[] = [];
  const lease = {
    held: false,
    acquire() {
      if (this.held) return Promise.resolve(false);
      this.held = true;
      return Promise.resolve(true);
    },
    release() {
      this.held = false;
      return Promise.resolve();
    },
  };
  const queue = {
    schedule: (message: { step: number }, delaySeconds: number) => {
      sent.push({ step: message.step, delaySeconds });
      sentWhileHeld.push(lease.held);
      return Promise.resolve();
    },
  };
  let ids = 0;
  const service = new ImportService(store, objects, queue, clock, () => `imp_${++ids}`, 1_000);
  const runner = new ImportRunner(store, objects, queue, lease, apply, clock, sleep, budgetMs);
  /** Runs the queued steps until none is left, as the queue would. */
  const drain = async () => {
    for (let message = sent.shift(); message; message = sent.shift()) {
      const job = [...store.jobs.values()].at(-1)!;
      await runner.run({ tenantId: 'acme', importId: job.importId, step: message.step }, 1, 'test');
    }
  };
  const importFile = async (text: string) => {
    const idem = { key: `key-${ids}`, requestHash: `hash-${ids}` };
    const { job } = await service.create('acme', 'key_1', { rowsPerSecond: 500 }, idem);
    objects.files.set(job.objectKey, utf8(text));
    await service.start('acme', job.importId);
    await drain();
    return (await store.get('acme', job.importId))!;
  };
  const elapsedMs = () => nowMs - Date.UTC(2026, 11, 1);
  return { store, objects, service, runner, importFile, sent, sentWhileHeld, drain, elapsedMs };
}

const memberLine = (i: number, externalId = `crm-${i}`) =>
  JSON.stringify({ type: 'member', externalId, email: `m${i}@example.com` });

describe('the import runner', () => {
  it('applies a file, writes the exact error report in line order, and a re-run changes nothing', async () => {
    // Prepare: 300 members, a bad line and a rejected row among them
    const lines = Array.from({ length: 300 }, (_, i) => memberLine(i));
    lines[9] = 'not json';
    lines[199] = JSON.stringify({ type: 'member', externalId: 'crm-199' });
    const file = `${lines.join('\n')}\n`;
    const { apply } = memoryApplier();
    const { importFile, objects } = harness(apply);

    // Act
    const first = await importFile(file);
    const again = await importFile(file);

    // Assess
    expect(first).toMatchObject({ status: 'completed', counts: { applied: 298, unchanged: 0, rejected: 2 } });
    const report = await objects.get(importReportKey(first.objectKey));
    expect(
      report
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { line: number; code: string }),
    ).toEqual([
      expect.objectContaining({ line: 10, code: 'invalid_json' }),
      { line: 200, code: 'invalid_row', message: 'email is required' },
    ]);
    expect(again.counts).toEqual({ applied: 0, unchanged: 298, rejected: 2 });
    expect(importSummary({ status: 'completed', counts: { ...again.counts, rejected: 0 } })).toMatch(/changed nothing/);
  });

  it("keeps one member's rows in file order", async () => {
    // Prepare: member a's rows spread through the file among others
    const lines = Array.from({ length: 60 }, (_, i) =>
      JSON.stringify({ type: 'member', externalId: i % 3 === 0 ? 'a' : `x${i}`, email: `${i}@e.com`, n: i }),
    );
    const { apply, order } = memoryApplier();
    const { importFile } = harness(apply);

    // Act
    await importFile(lines.join('\n'));

    // Assess: a's rows were applied in the order of their lines
    const rowsOfA = order.filter((row) => row.externalId === 'a').map((row) => row.n);
    expect(rowsOfA).toEqual(Array.from({ length: 20 }, (_, i) => i * 3));
    expect(order).toHaveLength(60);
  });

  it('chains steps when a step spends its budget, one chunk at least each, and finishes', async () => {
    // Prepare: a step budget shorter than any chunk
    const lines = Array.from({ length: 3_000 }, (_, i) => memberLine(i));
    const { importFile, sentWhileHeld } = harness(memoryApplier().apply, { budgetMs: 1, tickMs: 1 });

    // Act
    const job = await importFile(lines.join('\n'));

    // Assess
    expect(job).toMatchObject({ status: 'completed', counts: { applied: 3_000, unchanged: 0, rejected: 0 } });
    // 20 rows (the first chunk's guess), then chunks of two seconds at the job's 500 rows/s: 1,000 each.
    expect(job.step).toBe(3);
    expect(job.chainedStep).toBe(job.step);
    // The next step's message goes once the lease is free, so it never finds the lease held.
    expect(sentWhileHeld).toEqual([false, false, false, false]);
  });

  it("keeps the job's rate across its chunks", async () => {
    // Prepare: 3,000 rows at 500 per second
    const lines = Array.from({ length: 3_000 }, (_, i) => memberLine(i));
    const { importFile, elapsedMs } = harness(memoryApplier().apply);

    // Act
    await importFile(lines.join('\n'));

    // Assess: a second's burst, then 2,500 rows at 500 per second
    expect(elapsedMs()).toBeGreaterThanOrEqual(4_900);
  });

  it('sends a queued job its step again when started twice, and counts every row once', async () => {
    // Prepare
    const { service, objects, store, drain, sent } = harness(memoryApplier().apply);
    const { job } = await service.create('acme', 'key_1', {}, { key: 'k', requestHash: 'h' });
    objects.files.set(job.objectKey, utf8(`${memberLine(1)}\n${memberLine(2)}\n`));

    // Act
    await service.start('acme', job.importId);
    await service.start('acme', job.importId);
    const messages = sent.length;
    await drain();

    // Assess
    expect(messages).toBe(2);
    expect(await store.get('acme', job.importId)).toMatchObject({
      status: 'completed',
      counts: { applied: 2, unchanged: 0, rejected: 0 },
    });
  });

  it('retries a row that throws and never skips it', async () => {
    // Prepare: the first two tries fail (a platform failure)
    const { apply } = memoryApplier({ failFirst: 2 });
    const { importFile } = harness(apply);

    // Act
    const job = await importFile(`${memberLine(1)}\n${memberLine(2)}\n`);

    // Assess
    expect(job).toMatchObject({ status: 'completed', counts: { applied: 2, unchanged: 0, rejected: 0 } });
  });

  it('stops at the next chunk when paused and finishes after resume', async () => {
    // Prepare: a file of many chunks (the runner takes about two seconds' worth of rows per chunk)
    const lines = Array.from({ length: 3_000 }, (_, i) => memberLine(i));
    const { apply } = memoryApplier();
    const { service, objects, store, drain, sent } = harness(apply);
    const { job } = await service.create('acme', 'key_1', { rowsPerSecond: 500 }, { key: 'k', requestHash: 'h' });
    objects.files.set(job.objectKey, utf8(lines.join('\n')));
    await service.start('acme', job.importId);
    await service.pause('acme', job.importId);

    // Act: the step finds the job paused before its first chunk
    await drain();
    const paused = await store.get('acme', job.importId);
    await service.resume('acme', job.importId);
    await drain();

    // Assess
    expect(paused).toMatchObject({ status: 'paused', offset: 0 });
    expect(await store.get('acme', job.importId)).toMatchObject({
      status: 'completed',
      counts: { applied: 3_000, unchanged: 0, rejected: 0 },
    });
    expect(sent).toEqual([]);
  });

  it('refuses to start before the upload, and answers bad state moves with import_state_conflict', async () => {
    // Prepare
    const { service } = harness(memoryApplier().apply);
    const { job } = await service.create('acme', 'key_1', {}, { key: 'k', requestHash: 'h' });

    // Act / Assess
    await expect(service.start('acme', job.importId)).rejects.toMatchObject({ code: 'import_not_uploaded' });
    await service.cancel('acme', job.importId);
    await expect(service.resume('acme', job.importId)).rejects.toMatchObject({ code: 'import_state_conflict' });
    await expect(service.pause('acme', job.importId)).rejects.toMatchObject({ code: 'import_state_conflict' });
    await expect(service.start('acme', job.importId)).rejects.toMatchObject({ code: 'import_state_conflict' });
    await expect(service.get('acme', 'imp_missing')).rejects.toMatchObject({ code: 'import_not_found' });
    await expect(service.create('acme', 'key_1', {}, { key: 'k', requestHash: 'other' })).rejects.toMatchObject({
      code: 'idempotency_key_reused',
    });
    await expect(
      service.create('acme', 'key_1', { rowsPerSecond: 5_000 }, { key: 'k2', requestHash: 'h' }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('builds the input key from the tenant and job only', async () => {
    // Prepare
    const { service } = harness(memoryApplier().apply);

    // Act
    const { job, upload } = await service.create('acme', 'key_1', {}, { key: 'k', requestHash: 'h' });

    // Assess
    expect(job.objectKey).toBe(`imports/acme/${job.importId}/input.ndjson`);
    expect(upload).toMatchObject({ method: 'PUT', url: `memory://imports/acme/${job.importId}/input.ndjson` });
  });
});
