import { correlationIdFor, isWellFormedCorrelationId } from '../../functions/shared/correlation-id';
import { idem, memoryLedgerWithMember } from '../support/ledger-helpers';

const REQUEST_ID = 'c0ffee00-1234-4abc-8def-0123456789ab';

describe('the correlation id rule', () => {
  it.each([
    ['a UUID', '3f2b9c1e-8d4a-4f7e-9b1a-2c3d4e5f6a7b'],
    ['a ULID', '01JD3Q8ZK7X9V2M4N6P8R0S2T4'],
    ['a W3C trace id', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['letters, digits and -_.:', 'pos-17_store.4:order-42'],
    ['one character', 'x'],
    ['128 characters', 'a'.repeat(128)],
  ])('takes the caller’s id when it is %s', (_name, offered) => {
    // Act
    const taken = correlationIdFor(offered, REQUEST_ID);

    // Assess
    expect(isWellFormedCorrelationId(offered)).toBe(true);
    expect(taken).toBe(offered);
  });

  it.each([
    ['that is absent', undefined],
    ['that is empty', ''],
    ['of 129 characters', 'a'.repeat(129)],
    ['with a space', 'order 42'],
    ['with a line break (log injection)', 'order-42\n{"level":"ERROR"}'],
    ['with markup', '<script>alert(1)</script>'],
    ['with a header separator', 'a;b=c'],
    ['with a slash', 'tenant/order'],
    ['that is not ASCII', 'bestellung-ü'],
  ])('ignores a caller’s id %s and uses the request id', (_name, offered) => {
    // Act
    const taken = correlationIdFor(offered, REQUEST_ID);

    // Assess
    expect(taken).toBe(REQUEST_ID);
  });
});

describe('events carry the correlation id of what made them', () => {
  it('stamps a request’s id on the events it commits; a retry under another id replays, stamping nothing', async () => {
    // Prepare
    const { store, service, memberId } = await memoryLedgerWithMember();
    const body = { amountPoints: 40, reason: 'stay' };

    // Act
    await service.earn('t1', memberId, { ...idem('earn-1', body), correlationId: 'order-42' }, body);
    const retry = await service.earn('t1', memberId, { ...idem('earn-1', body), correlationId: 'retry-1' }, body);

    // Assess
    expect(retry.replayed).toBe(true);
    expect(store.events.map((event) => [event.type, event.correlationId])).toEqual([
      ['member.enrolled', undefined],
      ['points.earned', 'order-42'],
    ]);
  });

  it('stamps a housekeeping run’s id on the events it writes', async () => {
    // Prepare: points that expired before the run
    const { store, service, memberId } = await memoryLedgerWithMember();
    const body = { amountPoints: 30, reason: 'a', expiresAt: '2026-11-21T09:00:00.000Z' };
    await service.earn('t1', memberId, idem('earn-exp', body), body);

    // Act
    await service.runDue({ budgetMs: 1_000, correlationId: 'run-7' });

    // Assess
    expect(store.events.at(-1)).toMatchObject({ type: 'points.expired', correlationId: 'run-7' });
  });
});
