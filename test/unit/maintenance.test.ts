import fc from 'fast-check';
import { loyaltyEvent } from '../../functions/domain/events';
import {
  cancelled,
  DEFAULT_NOTICE_LEAD_HOURS,
  dueNotice,
  maintenanceEvent,
  maintenanceEventId,
  maintenanceWindowId,
  newMaintenanceWindow,
  nextNotice,
  noticeAt,
  phaseSent,
  scheduleMaintenanceRequest,
  sendingFrom,
  statusAt,
  visibleToTenants,
  type MaintenancePhase,
} from '../../functions/domain/maintenance';
import { MaintenanceNotifier, NOTIFIER_PAGE_SIZE } from '../../functions/domain/maintenance-notifier';
import {
  MemoryMaintenanceStore,
  MemoryOutbox,
  pagesOf,
  tenantsOf,
  windowAt,
} from '../support/memory-maintenance-ports';
import { orderingKey } from '../../functions/domain/webhooks/message';
import { Problem } from '../../functions/shared/problem';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 5, 1, 12);
const iso = (ms: number) => new Date(ms).toISOString();

const problemOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error instanceof Problem ? { code: error.code, ...error.extensions } : error;
  }
  return undefined;
};

describe('a maintenance window (domain rules)', () => {
  it('refuses a start in the past, an end before the start, a window too long or too far ahead', () => {
    // Prepare
    const now = new Date(T0);
    const make = (startsAt: number, endsAt: number) => () =>
      newMaintenanceWindow(
        scheduleMaintenanceRequest.parse({
          summary: 's',
          impact: 'none',
          startsAt: iso(startsAt),
          endsAt: iso(endsAt),
        }),
        { windowId: 'mnt_x', now, createdBy: 'op', requestHash: 'h' },
      );

    // Act + Assess
    expect(problemOf(make(T0 - 1, T0 + HOUR))).toMatchObject({
      code: 'validation_failed',
      errors: [{ path: 'startsAt' }],
    });
    expect(problemOf(make(T0 + HOUR, T0 + HOUR))).toMatchObject({ errors: [{ path: 'endsAt' }] });
    expect(problemOf(make(T0 + HOUR, T0 + 50 * HOUR))).toMatchObject({ errors: [{ path: 'endsAt' }] });
    expect(problemOf(make(T0 + 366 * 24 * HOUR, T0 + 367 * 24 * HOUR))).toMatchObject({
      errors: [{ path: 'startsAt' }],
    });
    expect(problemOf(make(T0 + HOUR, T0 + 48 * HOUR))).toBeUndefined();
    expect(
      scheduleMaintenanceRequest.safeParse({
        summary: 's',
        impact: 'none',
        startsAt: iso(T0),
        endsAt: iso(T0),
        noticeLeadHours: 0,
      }).success,
    ).toBe(false);
    expect(
      scheduleMaintenanceRequest.safeParse({ summary: 's', impact: 'down', startsAt: iso(T0), endsAt: iso(T0) })
        .success,
    ).toBe(false);
  });

  it('announces its lead time ahead, or at once when scheduled inside the lead time', () => {
    // Prepare
    const ahead = windowAt(T0, 100);
    const inside = windowAt(T0, 2);

    // Assess
    expect(ahead.noticeLeadHours).toBe(DEFAULT_NOTICE_LEAD_HOURS);
    expect(noticeAt(ahead)).toBe(iso(T0 + (100 - 72) * HOUR));
    expect(noticeAt(inside)).toBe(iso(T0));
    expect(dueNotice(ahead, new Date(T0 + 27 * HOUR))).toBeNull();
    expect(dueNotice(ahead, new Date(T0 + 28 * HOUR))).toBe('scheduled');
    expect(dueNotice(inside, new Date(T0))).toBe('scheduled');
  });

  it('goes scheduled → started → completed, each at its time', () => {
    // Prepare
    let window = windowAt(T0, 2);
    const phases: { phase: MaintenancePhase; at: number }[] = [];

    // Act: step through time a minute at a time, sending what is due.
    for (let at = T0; at <= T0 + 5 * HOUR; at += 60_000) {
      const due = dueNotice(window, new Date(at));
      if (due) {
        phases.push({ phase: due, at });
        window = phaseSent(sendingFrom(window, due), due, new Date(at));
      }
    }

    // Assess
    expect(phases).toEqual([
      { phase: 'scheduled', at: T0 },
      { phase: 'started', at: T0 + 2 * HOUR },
      { phase: 'completed', at: T0 + 4 * HOUR },
    ]);
    expect(nextNotice(window)).toBeNull();
  });

  it('cancelled before its notice: nothing is ever due and tenants never see it', () => {
    // Prepare
    const window = cancelled(windowAt(T0, 100), new Date(T0 + HOUR), 'op');

    // Assess
    expect(nextNotice(window)).toBeNull();
    expect(visibleToTenants(window, new Date(T0 + 2 * HOUR))).toBe(false);
    expect(statusAt(window, new Date(T0 + 2 * HOUR))).toBe('cancelled');
  });

  it('cancelled after its notice: `cancelled` is due, and then nothing', () => {
    // Prepare
    const told = phaseSent(sendingFrom(windowAt(T0, 2), 'scheduled'), 'scheduled', new Date(T0));
    const window = cancelled(told, new Date(T0 + HOUR), 'op');

    // Assess
    expect(nextNotice(window)).toEqual({ phase: 'cancelled', dueAt: iso(T0 + HOUR) });
    const done = phaseSent(sendingFrom(window, 'cancelled'), 'cancelled', new Date(T0 + HOUR));
    expect(nextNotice(done)).toBeNull();
    expect(visibleToTenants(done, new Date(T0 + HOUR))).toBe(true);
    expect(visibleToTenants(done, new Date(T0 + 31 * 24 * HOUR))).toBe(false);
  });

  it('cancelled while its notice goes out: the notice finishes going out, then `cancelled`', () => {
    // Prepare
    const going = sendingFrom(windowAt(T0, 2), 'scheduled', 'cursor-1');
    const window = cancelled(going, new Date(T0 + 1), 'op');

    // Assess
    expect(nextNotice(window)).toEqual({ phase: 'scheduled', dueAt: iso(T0) });
    expect(nextNotice(phaseSent(window, 'scheduled', new Date(T0 + 2)))?.phase).toBe('cancelled');
  });

  it('refuses to cancel once started; cancelling twice changes nothing', () => {
    // Prepare
    const window = phaseSent(sendingFrom(windowAt(T0, 2), 'scheduled'), 'scheduled', new Date(T0));
    const once = cancelled(window, new Date(T0 + HOUR), 'op');

    // Assess
    expect(problemOf(() => cancelled(window, new Date(T0 + 2 * HOUR), 'op'))).toMatchObject({
      code: 'maintenance_window_started',
    });
    expect(problemOf(() => cancelled(sendingFrom(window, 'started'), new Date(T0 + HOUR), 'op'))).toMatchObject({
      code: 'maintenance_window_started',
    });
    expect(cancelled(once, new Date(T0 + HOUR + 1), 'other')).toBe(once);
  });

  it('builds notices that are catalogue events with ids fixed by window, phase and tenant', () => {
    // Prepare
    const window = windowAt(T0, 2);

    // Act
    const first = maintenanceEvent(window, 'started', 'acme', new Date(T0), 'run-1');
    const again = maintenanceEvent(window, 'started', 'acme', new Date(T0 + 5_000));

    // Assess
    expect(loyaltyEvent.parse(first)).toEqual(first);
    expect(first).toMatchObject({
      type: 'platform.maintenance.started',
      tenantId: 'acme',
      correlationId: 'run-1',
      data: { maintenanceId: 'mnt_1', impact: 'degraded', status: 'in_progress' },
    });
    expect(again.id).toBe(first.id);
    expect(maintenanceEventId('mnt_1', 'started', 'other')).not.toBe(first.id);
    expect(maintenanceEventId('mnt_1', 'completed', 'acme')).not.toBe(first.id);
    expect(orderingKey(first)).toBe('!platform');
    expect(maintenanceWindowId('key-1')).toBe(maintenanceWindowId('key-1'));
    expect(maintenanceWindowId('key-1')).not.toBe(maintenanceWindowId('key-2'));
  });
});

describe('the maintenance notifier', () => {
  it('sends every active tenant scheduled, started and completed once each, in order, across pages', async () => {
    // Prepare: more tenants than a page, two suspended.
    let now = T0;
    const clock = { now: () => new Date(now) };
    const store = new MemoryMaintenanceStore();
    const outbox = new MemoryOutbox();
    const tenants = tenantsOf(NOTIFIER_PAGE_SIZE * 2 + 3, new Set([1, 40]));
    const notifier = new MaintenanceNotifier({ store, outbox, tenants: pagesOf(tenants), clock });
    await store.create(windowAt(T0, 2));

    // Act
    const runs = [];
    for (const at of [T0, T0 + HOUR, T0 + 2 * HOUR, T0 + 4 * HOUR, T0 + 5 * HOUR]) {
      now = at;
      runs.push(await notifier.run({ deadlineMs: at + 60_000 }));
    }

    // Assess
    expect(runs.map((run) => run.written)).toEqual([51, 0, 51, 51, 0]);
    for (const tenant of tenants) {
      const expected = tenant.status === 'active' ? ['scheduled', 'started', 'completed'] : [];
      expect(outbox.of(tenant.tenantId)).toEqual(expected.map((phase) => `platform.maintenance.${phase}`));
    }
    expect(store.windows.get('mnt_1')).toMatchObject({ sent: { scheduled: iso(T0), completed: iso(T0 + 4 * HOUR) } });
  });

  it('resumes where a stopped run left off, writes nothing twice (any crashes, deadlines, cancels)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          tenants: fc.integer({ min: 0, max: 80 }),
          startsInH: fc.integer({ min: 1, max: 100 }),
          noticeLeadHours: fc.integer({ min: 1, max: 96 }),
          steps: fc.array(
            fc.record({
              advanceMin: fc.integer({ min: 0, max: 24 * 60 }),
              crashAfter: fc.option(fc.integer({ min: 1, max: 60 })),
              outOfTime: fc.boolean(),
              cancel: fc.boolean(),
            }),
            { maxLength: 12 },
          ),
        }),
        async ({ tenants: count, startsInH, noticeLeadHours, steps }) => {
          // Prepare
          let now = T0;
          const clock = { now: () => new Date(now) };
          const store = new MemoryMaintenanceStore();
          const outbox = new MemoryOutbox();
          const tenants = tenantsOf(count);
          const notifier = new MaintenanceNotifier({ store, outbox, tenants: pagesOf(tenants), clock });
          await store.create(windowAt(T0, startsInH, 2, noticeLeadHours));
          let cancelledAt: number | undefined;
          let announcedBeforeCancel = false;

          // Act: random runs (crashing, out of time), cancels, time passing; then runs until nothing is due.
          for (const step of steps) {
            now += step.advanceMin * 60_000;
            if (step.cancel && cancelledAt === undefined) {
              const window = (await store.get('mnt_1'))!;
              try {
                const next = cancelled(window, clock.now(), 'op');
                if (await store.save(next, window.version)) {
                  cancelledAt = now;
                  announcedBeforeCancel = window.sent.scheduled !== undefined || window.sending !== undefined;
                }
              } catch (error) {
                expect((error as Problem).code).toBe('maintenance_window_started');
              }
            }
            outbox.crashNext = step.crashAfter ?? 0;
            await notifier.run({ deadlineMs: step.outOfTime ? now : now + 60_000 }).catch(() => undefined);
            outbox.crashNext = 0;
          }
          now += 200 * HOUR;
          await notifier.run({ deadlineMs: now + 60_000 });

          // Assess: every tenant got one whole story, each notice once.
          const expected =
            cancelledAt === undefined
              ? ['scheduled', 'started', 'completed']
              : announcedBeforeCancel
                ? ['scheduled', 'cancelled']
                : [];
          for (const tenant of tenants) {
            expect(outbox.of(tenant.tenantId)).toEqual(expected.map((phase) => `platform.maintenance.${phase}`));
          }
          expect(nextNotice((await store.get('mnt_1'))!)).toBeNull();
        },
      ),
      { numRuns: 200 },
    );
  });
});
