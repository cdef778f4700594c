import { judgeStorm, tally, tallyFailures, type Delivery } from '../../chaos/tally';

const committed = [
  { eventId: 'evt_a1', memberId: 'a' },
  { eventId: 'evt_a2', memberId: 'a' },
  { eventId: 'evt_b1', memberId: 'b' },
];
const hook = (webhookId: string, seq: number, overrides: Partial<Delivery> = {}): Delivery => ({
  endpoint: 'demo',
  webhookId,
  memberId: webhookId.slice(4, 5),
  seq,
  accepted: true,
  ...overrides,
});

describe('chaos tally', () => {
  it('passes a run where every committed event arrived once, in order per member', () => {
    // Act
    const result = tally({
      sent: 4,
      committed,
      endpoints: ['demo'],
      deliveries: [hook('evt_b1', 1), hook('evt_a1', 1), hook('evt_a2', 2)],
    });

    // Assess
    expect(result).toEqual({ sent: 4, committed: 3, delivered: 3, duplicates: 0, lost: 0, inversions: 0 });
    expect(tallyFailures(result)).toEqual([]);
  });

  it('counts an event never accepted as lost, even when failed attempts of it arrived', () => {
    // Act
    const result = tally({
      sent: 3,
      committed,
      endpoints: ['demo'],
      deliveries: [hook('evt_a1', 1), hook('evt_a2', 2, { accepted: false }), hook('evt_b1', 1)],
    });

    // Assess
    expect(result.lost).toBe(1);
    expect(result.delivered).toBe(2);
    expect(tallyFailures(result)).toEqual(['1 lost']);
  });

  it('counts each endpoint that missed an event as one loss', () => {
    // Act
    const result = tally({
      sent: 3,
      committed,
      endpoints: ['demo', 'other'],
      deliveries: [hook('evt_a1', 1), hook('evt_a2', 2), hook('evt_b1', 1), hook('evt_a1', 1, { endpoint: 'other' })],
    });

    // Assess
    expect(result.delivered).toBe(4);
    expect(result.lost).toBe(2);
  });

  it('counts a second acceptance as a duplicate, which does not fail the run', () => {
    // Act
    const result = tally({
      sent: 3,
      committed,
      endpoints: ['demo'],
      deliveries: [hook('evt_a1', 1), hook('evt_a1', 1), hook('evt_a2', 2), hook('evt_b1', 1)],
    });

    // Assess
    expect(result.duplicates).toBe(1);
    expect(result.delivered).toBe(3);
    expect(tallyFailures(result)).toEqual([]);
  });

  it('counts a lower seq accepted after a higher one of the same member as an inversion', () => {
    // Act
    const result = tally({
      sent: 3,
      committed,
      endpoints: ['demo'],
      deliveries: [hook('evt_a2', 2), hook('evt_b1', 1), hook('evt_a1', 1)],
    });

    // Assess
    expect(result.inversions).toBe(1);
    expect(tallyFailures(result)).toEqual(['1 order inversions']);
  });

  it('counts a delivery without a seq as out of order, and ignores events it did not send', () => {
    // Act
    const result = tally({
      sent: 3,
      committed,
      endpoints: ['demo'],
      deliveries: [hook('evt_a1', 1), hook('evt_a2', 2, { seq: undefined }), hook('evt_b1', 1), hook('evt_zz', 1)],
    });

    // Assess
    expect(result.inversions).toBe(1);
    expect(result.delivered).toBe(3);
  });
});

describe('conflict storm verdict', () => {
  const answers = (ok: number, refused: number, others: { status: number; code?: string }[] = []) => [
    ...Array.from({ length: ok }, () => ({ status: 201 })),
    ...Array.from({ length: refused }, () => ({ status: 422, code: 'insufficient_points' })),
    ...others,
  ];

  it('passes exactly the affordable successes, business refusals for the rest and a consistent balance', () => {
    // Act
    const verdict = judgeStorm({
      answers: answers(5, 5),
      opening: 5,
      cost: 1,
      balance: 0,
      entriesSum: 0,
      committed: 5,
    });

    // Assess
    expect(verdict.failures).toEqual([]);
    expect(verdict.histogram).toEqual({ '201': 5, '422 insufficient_points': 5 });
  });

  it('fails on a 5xx and on fewer successes than affordable, yet still judges the balance', () => {
    // Act
    const verdict = judgeStorm({
      answers: answers(4, 5, [{ status: 500, code: 'internal' }]),
      opening: 5,
      cost: 1,
      balance: 0,
      entriesSum: 0,
      committed: 5,
    });

    // Assess
    expect(verdict.serverErrors).toBe(1);
    expect(verdict.committedUnacknowledged).toBe(1);
    expect(verdict.failures).toEqual([
      '4 succeeded, 5 affordable',
      '1 answers neither success nor insufficient_points',
      '1 answered 5xx',
    ]);
  });

  it('fails when the balance is not what the debits leave or not the sum of the entries', () => {
    // Act
    const verdict = judgeStorm({
      answers: answers(5, 5),
      opening: 5,
      cost: 1,
      balance: 1,
      entriesSum: 2,
      committed: 5,
    });

    // Assess
    expect(verdict.failures).toEqual(['balance 1, expected 0', 'balance 1 ≠ sum of entries 2']);
  });

  it('fails when the ledger holds more debits than affordable or fewer than acknowledged', () => {
    // Act
    const overspent = judgeStorm({
      answers: answers(5, 5),
      opening: 5,
      cost: 1,
      balance: -1,
      entriesSum: -1,
      committed: 6,
    });
    const forgotten = judgeStorm({
      answers: answers(5, 5),
      opening: 5,
      cost: 1,
      balance: 1,
      entriesSum: 1,
      committed: 4,
    });

    // Assess
    expect(overspent.failures).toEqual(['6 debits committed, 5 affordable', 'negative balance -1']);
    expect(forgotten.failures).toEqual(['5 succeeded, 4 in the ledger']);
  });
});
