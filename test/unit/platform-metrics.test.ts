import type { Context } from 'aws-lambda';
import { metricsNamespace } from '../../functions/declaration/metrics';
import type { AttemptResult } from '../../functions/domain/webhooks/ports';
import { captureEmf, figures } from '../support/emf-capture';

/**
 * The platform metrics as the functions publish them: one EMF line per invocation that recorded something (in the
 * stage's namespace, with the `service` dimension only), nothing for one that recorded nothing, and each ledger
 * figure counted once per committed change: an idempotent replay counts nothing.
 */

// Powertools reads these when the modules load: the namespace as `platformEnvironment('test')` sets it, and quiet logs
// (the handler chain restores the initial log level after each invocation).
process.env.POWERTOOLS_METRICS_NAMESPACE = metricsNamespace('test');
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const { lambdaHandler } = await import('../../functions/shared/lambda-handler');
const { metrics, recordMetric } = await import('../../functions/shared/metrics');
const { memoryLedgerWithMember, idem } = await import('../support/ledger-helpers');
const { deliveryHarness, T0 } = await import('../support/delivery-harness');
const { MaintenanceNotifier } = await import('../../functions/domain/maintenance-notifier');
const { MemoryMaintenanceStore, MemoryOutbox, pagesOf, tenantsOf, windowAt } =
  await import('../support/memory-maintenance-ports');

const context = { functionName: 'test-fn', awsRequestId: 'req-1' } as Context;
/** Runs `work` as one Lambda invocation through the platform's handler chain and returns the EMF it published. */
const invocation = (work: () => Promise<unknown>) =>
  captureEmf(() => lambdaHandler(async () => work())(undefined, context).catch(() => undefined));

/** A ledger with one member enrolled; the enrolment's figures are dropped, as are any left by an earlier test. */
async function ledger() {
  const made = await memoryLedgerWithMember();
  metrics.clearMetrics();
  return made;
}

describe('platform metrics (EMF)', () => {
  it('publishes one line per invocation, in the stage namespace with only the service dimension', async () => {
    // Prepare
    const { service, memberId } = await ledger();
    const body = { amountPoints: 120, reason: 'stay' };

    // Act
    const documents = await invocation(() => service.earn('t1', memberId, idem('earn-1', body), body));

    // Assess
    expect(documents).toHaveLength(1);
    expect(documents[0]!._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'LoyaltyLedger/test',
        Dimensions: [['service']],
        Metrics: expect.arrayContaining([
          { Name: 'EarnTransactions', Unit: 'Count' },
          { Name: 'PointsEarned', Unit: 'Count' },
        ]),
      },
    ]);
    expect(documents[0]).toMatchObject({ service: 'loyalty-ledger', EarnTransactions: 1, PointsEarned: 120 });
  });

  it('counts a committed earn once: its idempotent replay publishes nothing', async () => {
    // Prepare
    const { service, memberId } = await ledger();
    const body = { amountPoints: 50, reason: 'stay' };
    await invocation(() => service.earn('t1', memberId, idem('earn-2', body), body));

    // Act
    const replay = await invocation(() => service.earn('t1', memberId, idem('earn-2', body), body));
    const another = await invocation(() => service.earn('t1', memberId, idem('earn-3', body), body));

    // Assess
    expect(replay).toEqual([]);
    expect(figures(another)).toEqual({
      EarnTransactions: { unit: 'Count', values: [1] },
      PointsEarned: { unit: 'Count', values: [50] },
    });
  });

  it('counts an enrolment, not its replay', async () => {
    // Prepare
    const { service } = await ledger();
    const body = { externalId: 'e2' };

    // Act
    const first = await invocation(() => service.enrol('t1', idem('enrol-e2', body), body));
    const replay = await invocation(() => service.enrol('t1', idem('enrol-e2', body), body));

    // Assess
    expect(figures(first).MembersEnrolled).toEqual({ unit: 'Count', values: [1] });
    expect(replay).toEqual([]);
  });

  it('still publishes what an invocation recorded before it threw', async () => {
    // Prepare
    metrics.clearMetrics();

    // Act
    const documents = await invocation(() => {
      recordMetric('ConsumerEventsRead', 3);
      throw new Error('boom');
    });

    // Assess
    expect(figures(documents)).toEqual({ ConsumerEventsRead: { unit: 'Count', values: [3] } });
  });
});

describe('webhook delivery metrics (EMF)', () => {
  const OK: AttemptResult = { ok: true, status: 204, durationMs: 42 };
  const BOOM: AttemptResult = { ok: false, status: 500, durationMs: 7 };

  /** One retry: the second failure of a message dead-letters it. */
  const setUp = (endpoint: Parameters<typeof deliveryHarness>[0] = {}) =>
    deliveryHarness(endpoint, { retrySchedule: [5] });

  it('counts a delivered attempt and its duration', async () => {
    // Prepare
    const h = setUp();
    h.send.mockResolvedValueOnce(OK);

    // Act
    const documents = await invocation(() => h.service.handle(h.message('mem_a'), 1));

    // Assess
    expect(figures(documents)).toEqual({
      AttemptsDelivered: { unit: 'Count', values: [1] },
      AttemptDuration: { unit: 'Milliseconds', values: [42] },
    });
  });

  it('counts failures, the breaker opening, the wait on the queue, the dead letter and the closing probe', async () => {
    // Prepare
    const h = setUp();
    h.send.mockResolvedValue(BOOM);
    const first = h.message('mem_a');

    // Act: two failures open the breaker (threshold 2); the first message comes back after its wait
    const failing = await invocation(async () => {
      await h.service.handle(first, 1);
      await h.service.handle(h.message('mem_b'), 1);
    });
    h.advance(40);
    const exhausted = await invocation(() => h.service.handle(first, 2));
    h.send.mockResolvedValue(OK);
    h.advance(200);
    const probe = await invocation(() => h.service.handle(h.message('mem_c'), 1));

    // Assess
    expect(figures(failing)).toMatchObject({
      AttemptsFailed: { unit: 'Count', values: [1, 1] },
      AttemptDuration: { unit: 'Milliseconds', values: [7, 7] },
      BreakerOpened: { unit: 'Count', values: [1] },
      QueuedMessageWaitingSeconds: { unit: 'Seconds', values: [0, 0] },
    });
    expect(figures(exhausted)).toMatchObject({
      AttemptsFailed: { values: [1] },
      MessagesDeadLettered: { unit: 'Count', values: [1] },
      BreakerOpened: { values: [1] },
    });
    expect(figures(probe)).toMatchObject({
      AttemptsDelivered: { values: [1] },
      BreakerClosed: { unit: 'Count', values: [1] },
    });
  });

  it('counts an endpoint disabled by 410 Gone, and the messages parked for it afterwards', async () => {
    // Prepare
    const h = setUp();
    h.send.mockResolvedValueOnce({ ok: false, status: 410, durationMs: 3 });

    // Act
    const gone = await invocation(() => h.service.handle(h.message('mem_a'), 1));
    const parked = await invocation(() => h.service.handle(h.message('mem_b'), 1));

    // Assess
    expect(figures(gone)).toMatchObject({ EndpointsDisabled: { unit: 'Count', values: [1] } });
    expect(figures(parked)).toEqual({ MessagesParked: { unit: 'Count', values: [1] } });
  });

  it('counts a delivery held for a maintenance window, not an attempt, then its delivery after it', async () => {
    // Prepare: the endpoint is in a one-hour maintenance window from now
    const window = { windowId: 'mw_1', startsAt: new Date(T0).toISOString(), createdAt: new Date(T0).toISOString() };
    const h = setUp({ maintenanceWindows: [{ ...window, endsAt: new Date(T0 + 3_600_000).toISOString() }] });
    const m = h.message('mem_a');
    h.send.mockResolvedValueOnce(OK);

    // Act
    const held = await invocation(() => h.service.handle(m, 1));
    h.advance(3600);
    const after = await invocation(() => h.service.handle(m, 2));

    // Assess
    expect(figures(held)).toMatchObject({ DeliveriesHeldForMaintenance: { unit: 'Count', values: [1] } });
    expect(Object.keys(figures(held)).filter((name) => name.startsWith('Attempt'))).toEqual([]);
    expect(figures(after)).toMatchObject({ AttemptsDelivered: { values: [1] } });
    expect(figures(after)).not.toHaveProperty('DeliveriesHeldForMaintenance');
  });
});

describe('maintenance notice metrics (EMF)', () => {
  it('counts each notice written once: a second run over the same phase counts nothing', async () => {
    // Prepare: a window announced now to five tenants, one of them suspended
    const T0 = Date.parse('2026-06-01T12:00:00.000Z');
    const store = new MemoryMaintenanceStore();
    const clock = { now: () => new Date(T0) };
    const tenants = pagesOf(tenantsOf(5, new Set([2])));
    const notifier = new MaintenanceNotifier({ store, outbox: new MemoryOutbox(), tenants, clock });
    await store.create(windowAt(T0, 2));

    // Act
    const first = await invocation(() => notifier.run({ deadlineMs: T0 + 60_000 }));
    const second = await invocation(() => notifier.run({ deadlineMs: T0 + 60_000 }));

    // Assess
    expect(figures(first)).toEqual({ MaintenanceNoticesWritten: { unit: 'Count', values: [4] } });
    expect(second).toEqual([]);
  });
});
