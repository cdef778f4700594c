/**
 * The goals the bench's figures are held to (issue-level targets a platform team signs off on), and
 * the table that shows each figure of this run against its goal, printed above the JSON line.
 * Figures a run did not measure are left out; a figure without a goal is not listed here.
 */
export interface Goal {
  figure: string;
  /** `max`: the figure must not exceed `target`; `min`: it must reach it. */
  kind: 'max' | 'min';
  target: number;
  unit: string;
  what: string;
}

export const GOALS: Goal[] = [
  { figure: 'api_vs_raw_ratio', kind: 'min', target: 0.9, unit: '', what: 'earn over HTTP ÷ raw read + transaction' },
  { figure: 'handler_cpu_ratio', kind: 'max', target: 2, unit: '', what: 'API handler CPU ÷ bare SDK calls' },
  { figure: 'webhook_latency_ms_p99', kind: 'max', target: 250, unit: 'ms', what: 'commit → verified, paced' },
  {
    figure: 'commit_to_delivered_ms_p99',
    kind: 'max',
    target: 1_000,
    unit: 'ms',
    what: 'commit → delivered, 4 endpoints, 80 % of saturation',
  },
  { figure: 'max_bundle_kb', kind: 'max', target: 300, unit: 'kB', what: 'largest function bundle' },
  { figure: 'max_init_ms_over_empty', kind: 'max', target: 50, unit: 'ms', what: 'bundle import CPU over empty' },
  { figure: 'usd_per_million_earn', kind: 'max', target: 10, unit: 'USD', what: 'end to end at list prices' },
  { figure: 'hot_partition_share', kind: 'max', target: 0.5, unit: '', what: 'busiest key ÷ partition limits' },
  {
    figure: 'hot_member_vs_serial_ratio',
    kind: 'min',
    target: 0.8,
    unit: '',
    what: 'one member under contention ÷ serial',
  },
];

export interface GoalRow extends Goal {
  value: number;
  met: boolean;
}

/** The goals this run measured, each with its figure and whether it is met. */
export function goalRows(figures: Record<string, unknown>): GoalRow[] {
  return GOALS.flatMap((goal) => {
    const value = figures[goal.figure];
    if (typeof value !== 'number' || Number.isNaN(value)) return [];
    const met = goal.kind === 'max' ? value <= goal.target : value >= goal.target;
    return [{ ...goal, value, met }];
  });
}

/** The rows as an aligned text table (nothing when no goal was measured). */
export function goalTable(figures: Record<string, unknown>): string[] {
  const rows = goalRows(figures);
  if (rows.length === 0) return [];
  const cells = rows.map((row) => [
    row.figure,
    `${row.value}${row.unit ? ` ${row.unit}` : ''}`,
    `${row.kind === 'max' ? '≤' : '≥'} ${row.target}${row.unit ? ` ${row.unit}` : ''}`,
    row.met ? 'met' : 'NOT met',
    row.what,
  ]);
  const header = ['goal', 'this run', 'target', '', ''];
  const widths = header.map((_, i) => Math.max(...[header, ...cells].map((line) => line[i]!.length)));
  const format = (line: string[]) =>
    line
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return ['goals:', format(header), ...cells.map(format)];
}
