import { GOALS, goalRows, goalTable } from '../../bench/goals';

describe('bench goals', () => {
  it('holds each measured figure to its goal: at most for a ceiling, at least for a floor', () => {
    // Prepare
    const figures = { max_bundle_kb: 300, hot_partition_share: 0.51, api_vs_raw_ratio: 0.9, handler_cpu_ratio: 2.4 };

    // Act
    const rows = goalRows(figures);

    // Assess
    expect(rows.map((row) => [row.figure, row.met])).toEqual([
      ['api_vs_raw_ratio', true],
      ['handler_cpu_ratio', false],
      ['max_bundle_kb', true],
      ['hot_partition_share', false],
    ]);
  });

  it('leaves out the goals a run did not measure, and figures that are not numbers', () => {
    // Act
    const rows = goalRows({ usd_per_million_earn: Number.NaN, webhook_latency_ms_p99: '120', earns: 800 });

    // Assess
    expect(rows).toEqual([]);
    expect(goalTable({})).toEqual([]);
  });

  it('prints one aligned line per measured goal under a header, saying which are not met', () => {
    // Act
    const table = goalTable({ webhook_latency_ms_p99: 146, usd_per_million_earn: 19.4 });

    // Assess
    expect(table).toHaveLength(4);
    expect(table[2]).toMatch(/^webhook_latency_ms_p99 +146 ms +≤ 250 ms +met +commit → verified/);
    expect(table[3]).toMatch(/^usd_per_million_earn +19\.4 USD +≤ 10 USD +NOT met /);
    const columnStarts = [table[1]!.indexOf('this run'), table[2]!.indexOf('146'), table[3]!.indexOf('19.4')];
    expect(new Set(columnStarts).size).toBe(1);
  });

  it('names each figure once', () => {
    // Assess
    expect(new Set(GOALS.map((goal) => goal.figure)).size).toBe(GOALS.length);
  });
});
