import { MetricsStore } from '../../local/metrics-store';

/** A store on a clock the test moves: ten-second buckets, fifteen minutes kept. */
function storeAt(start: number) {
  const clock = { now: start };
  const store = new MetricsStore({ now: () => clock.now });
  return { store, clock };
}

describe('the twin metrics store', () => {
  it('reads each statistic over a period, and no data as null except counts', () => {
    // Prepare
    const { store } = storeAt(1_000_000);
    for (const value of [5, 1, 9, 3, 7, 2, 8, 4, 6, 10]) store.record('api/Latency', value);

    // Act
    const read = (stat: Parameters<MetricsStore['statistic']>[1]) => store.statistic('api/Latency', stat, 60_000);

    // Assess
    expect(read('Sum')).toBe(55);
    expect(read('SampleCount')).toBe(10);
    expect(read('Maximum')).toBe(10);
    expect(read('Average')).toBe(5.5);
    expect(read('p50')).toBe(5);
    expect(read('p90')).toBe(9);
    expect(read('p99')).toBe(10);
    expect(store.statistic('api/Count', 'Sum', 60_000)).toBe(0);
    expect(store.statistic('api/Count', 'SampleCount', 60_000)).toBe(0);
    expect(store.statistic('api/Count', 'Maximum', 60_000)).toBeNull();
    expect(store.statistic('api/Count', 'p99', 60_000)).toBeNull();
  });

  it('counts only the period asked for, and forgets what is older than fifteen minutes', () => {
    // Prepare
    const { store, clock } = storeAt(2_000_000);
    store.record('api/Count', 1);
    clock.now += 30_000;
    store.record('api/Count', 1);
    store.record('api/Count', 1);

    // Act / Assess
    expect(store.statistic('api/Count', 'Sum', 60_000)).toBe(3);
    expect(store.statistic('api/Count', 'Sum', 20_000)).toBe(2);
    clock.now += 45_000;
    expect(store.statistic('api/Count', 'Sum', 60_000)).toBe(2);
    expect(store.has('api/Count')).toBe(true);
    clock.now += 15 * 60_000;
    expect(store.has('api/Count')).toBe(false);
    expect(store.statistic('api/Count', 'Sum', 60_000)).toBe(0);
  });

  it('draws a timeline of the period statistic at every bucket, oldest first, ending with the current value', () => {
    // Prepare
    const { store, clock } = storeAt(3_000_000);
    store.record('queue/depth', 4);
    clock.now += 20_000;
    store.record('queue/depth', 7);

    // Act
    const points = store.timeline('queue/depth', 'Maximum', 10_000);

    // Assess
    expect(points).toHaveLength(90);
    expect(points.at(-1)).toBe(7);
    expect(points.at(-1)).toBe(store.statistic('queue/depth', 'Maximum', 10_000));
    expect(points.at(-3)).toBe(4);
    expect(points.slice(0, 80).every((p) => p === null)).toBe(true);
  });

  it('keeps exact sums and counts past its percentile sample', () => {
    // Prepare
    const { store } = storeAt(4_000_000);
    const small = new MetricsStore({ now: () => 4_000_000, samplesPerBucket: 10 });

    // Act
    for (let i = 1; i <= 1000; i++) {
      small.record('function/Duration/api', i);
      store.record('function/Duration/api', i);
    }

    // Assess
    expect(small.statistic('function/Duration/api', 'Sum', 60_000)).toBe(500_500);
    expect(small.statistic('function/Duration/api', 'SampleCount', 60_000)).toBe(1000);
    expect(small.statistic('function/Duration/api', 'Maximum', 60_000)).toBe(1000);
    expect(store.statistic('function/Duration/api', 'p99', 60_000)).toBe(990);
  });
});
