import {
  CATCH_UP_LIMIT_MS,
  compactWindow,
  dueAtOf,
  dueWindows,
  entryRow,
  EXPORT_SETTLE_MS,
  exportCadence,
  exportPartKey,
  exportWindowPrefix,
  latestDueWindow,
  MAX_WINDOWS_PER_TICK,
  memberRow,
  nextWindowStartAfter,
  windowAt,
  type ExportDefinition,
} from '../../functions/domain/exports';
import type { LedgerEntry, MemberProfile } from '../../functions/domain/ledger';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

const definition = (overrides: Partial<ExportDefinition>): ExportDefinition => ({
  tenantId: 't1',
  exportId: 'exp_1',
  dataset: 'ledger-entries',
  cadence: { everyMinutes: 15 },
  enabled: true,
  createdAt: '2026-12-02T10:00:00.000Z',
  updatedAt: '2026-12-02T10:00:00.000Z',
  nextWindowStart: '2026-12-02T10:00:00.000Z',
  ...overrides,
});

describe('export cadence', () => {
  it('accepts hourly, daily and minute counts that divide a day, from 5 minutes', () => {
    // Act & Assess
    for (const cadence of ['hourly', 'daily', { everyMinutes: 5 }, { everyMinutes: 90 }, { everyMinutes: 1440 }])
      expect(exportCadence.safeParse(cadence).success).toBe(true);
    for (const cadence of ['weekly', { everyMinutes: 4 }, { everyMinutes: 7 }, { everyMinutes: 2880 }, {}])
      expect(exportCadence.safeParse(cadence).success).toBe(false);
  });
});

describe('export windows', () => {
  it('aligns windows to the cadence in UTC, from midnight', () => {
    // Act & Assess
    expect(windowAt(at('2026-12-02T20:07:59.999Z'), 'hourly')).toEqual({
      start: at('2026-12-02T20:00:00Z'),
      end: at('2026-12-02T21:00:00Z'),
    });
    expect(iso(windowAt(at('2026-12-02T20:07:00Z'), 'daily').start)).toBe('2026-12-02T00:00:00.000Z');
    expect(iso(windowAt(at('2026-12-02T01:31:00Z'), { everyMinutes: 90 }).start)).toBe('2026-12-02T01:30:00.000Z');
    expect(iso(windowAt(at('2026-12-02T20:05:00Z'), { everyMinutes: 5 }).start)).toBe('2026-12-02T20:05:00.000Z');
  });

  it('makes a window due only once it ended and settled', () => {
    // Prepare
    const cadence = { everyMinutes: 5 };
    // Act & Assess: at 20:10:30 the window 20:05–20:10 has not settled yet, at 20:11 it has.
    expect(iso(latestDueWindow(at('2026-12-02T20:10:30Z'), cadence).start)).toBe('2026-12-02T20:00:00.000Z');
    expect(iso(latestDueWindow(at('2026-12-02T20:11:00Z'), cadence).start)).toBe('2026-12-02T20:05:00.000Z');
    expect(iso(dueAtOf(at('2026-12-02T20:05:00Z'), cadence))).toBe(iso(at('2026-12-02T20:10:00Z') + EXPORT_SETTLE_MS));
  });

  it('catches up missed ledger-entry windows oldest first, a bounded number per tick', () => {
    // Prepare: 10:00 was the next window; it is 11:01, so 10:00 … 10:45 are due.
    const export1 = definition({});
    // Act
    const windows = dueWindows(export1, at('2026-12-02T11:01:00Z'));
    // Assess
    expect(windows.map((w) => iso(w.start))).toEqual([
      '2026-12-02T10:00:00.000Z',
      '2026-12-02T10:15:00.000Z',
      '2026-12-02T10:30:00.000Z',
      '2026-12-02T10:45:00.000Z',
    ]);
    const days = dueWindows(export1, at('2026-12-09T11:01:00Z'));
    expect(days).toHaveLength(MAX_WINDOWS_PER_TICK);
    // Nothing older than the catch-up limit.
    expect(days[0]!.start).toBeGreaterThanOrEqual(at('2026-12-09T11:00:00Z') - CATCH_UP_LIMIT_MS);
  });

  it('runs only the latest window of a snapshot, and nothing before a window is due', () => {
    // Prepare
    const snapshot = definition({ dataset: 'balances' });
    // Act & Assess
    expect(dueWindows(snapshot, at('2026-12-02T11:01:00Z')).map((w) => iso(w.start))).toEqual([
      '2026-12-02T10:45:00.000Z',
    ]);
    expect(dueWindows(snapshot, at('2026-12-02T10:15:30Z'))).toEqual([]);
  });

  it('runs a requested window even when the export is off, and nothing else then', () => {
    // Prepare
    const off = definition({ enabled: false, requestedWindowStart: '2026-12-02T10:30:00.000Z' });
    // Act & Assess
    expect(dueWindows(off, at('2026-12-02T11:01:00Z')).map((w) => iso(w.start))).toEqual(['2026-12-02T10:30:00.000Z']);
    expect(dueWindows({ ...off, requestedWindowStart: undefined }, at('2026-12-02T11:01:00Z'))).toEqual([]);
  });

  it('moves ledger entries on window by window, so a requested later window skips none', () => {
    // Prepare: windows from 10:00 are due; the 10:45 one was asked for.
    const entries = definition({});
    const now = at('2026-12-02T11:01:00Z');
    const window = (iso: string) => ({ start: at(iso), end: at(iso) + 15 * 60_000 });
    // Act & Assess
    expect(nextWindowStartAfter(entries, window('2026-12-02T10:45:00Z'), now)).toBe('2026-12-02T10:00:00.000Z');
    expect(nextWindowStartAfter(entries, window('2026-12-02T10:00:00Z'), now)).toBe('2026-12-02T10:15:00.000Z');
    // A snapshot moves past the latest window it took.
    const snapshot = definition({ dataset: 'members' });
    expect(nextWindowStartAfter(snapshot, window('2026-12-02T10:45:00Z'), now)).toBe('2026-12-02T11:00:00.000Z');
    // Past the catch-up limit, the oldest window still caught up continues the schedule.
    const late = at('2026-12-20T11:01:00Z');
    const oldest = dueWindows(entries, late)[0]!;
    expect(nextWindowStartAfter(entries, oldest, late)).toBe(iso(oldest.end));
  });

  it('names files by tenant, export and window start', () => {
    // Act
    const prefix = exportWindowPrefix('t1', 'exp_1', at('2026-12-02T20:05:00Z'));
    // Assess
    expect(compactWindow(at('2026-12-02T20:05:00Z'))).toBe('20261202T2005Z');
    expect(exportPartKey(prefix, 1)).toBe('exports/tenant=t1/export=exp_1/window=20261202T2005Z/part-00001.ndjson.gz');
  });
});

describe('export rows', () => {
  it('leaves profile data out of members, and the external id too when ids are pseudonymised', () => {
    // Prepare
    const profile: MemberProfile = {
      tenantId: 't1',
      memberId: 'm1',
      externalId: 'crm-1',
      status: 'active',
      createdAt: '2026-12-01T00:00:00.000Z',
      email: 'a@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      phone: '+441234',
    };
    // Act
    const plain = memberRow(profile, undefined, (id) => id, false);
    const hidden = memberRow(profile, undefined, (id) => `p-${id}`, true);
    // Assess
    expect(plain).toEqual({
      memberId: 'm1',
      externalId: 'crm-1',
      status: 'active',
      tierId: null,
      enrolledAt: '2026-12-01T00:00:00.000Z',
      updatedAt: '2026-12-01T00:00:00.000Z',
      erased: false,
    });
    expect(hidden.memberId).toBe('p-m1');
    expect(hidden).not.toHaveProperty('externalId');
    expect(JSON.stringify(hidden)).not.toMatch(/Ada|Lovelace|example|\+44/);
  });

  it('drops an entry’s lots, idempotency key and tenant, and maps its member id', () => {
    // Prepare
    const entry = {
      entryId: 'e1',
      tenantId: 't1',
      memberId: 'm1',
      seq: 3,
      type: 'earn',
      amountPoints: 10,
      pendingPoints: 0,
      availableAfter: 10,
      pendingAfter: 0,
      lifetimeAfter: 10,
      reason: 'purchase',
      lots: [{ lotId: 'l1' }],
      idempotencyKey: 'k',
      createdAt: '2026-12-02T10:00:00.000Z',
    } as unknown as LedgerEntry;
    // Act
    const row = entryRow(entry, (id) => `p-${id}`);
    // Assess
    expect(row).toMatchObject({ entryId: 'e1', memberId: 'p-m1', seq: 3, amountPoints: 10 });
    expect(Object.keys(row)).not.toEqual(expect.arrayContaining(['lots']));
    expect(row).not.toHaveProperty('idempotencyKey');
    expect(row).not.toHaveProperty('tenantId');
  });
});
