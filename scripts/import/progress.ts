/**
 * The import CLI's progress bar on stderr: percent of the file read, rows done, rows per second, errors and time
 * left, redrawn in place on a terminal; plain lines (at most one every few seconds) when stderr is not one (CI logs).
 */

/** What the bar shows, from `GET /v1/imports/{id}`. */
export interface ProgressView {
  status: string;
  percent?: number;
  rowsDone: { total: number };
  recentRowsPerSecond: number;
  errorsSoFar: number;
  etaSeconds?: number;
}

const WIDTH = 30;

/** `1h02m`, `4m05s`, `12s`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/**
 * One line of progress.
 * @example progressLine({ status: 'running', percent: 50, rowsDone: { total: 10 }, recentRowsPerSecond: 5,
 *   errorsSoFar: 0, etaSeconds: 2 }) // '[███████████████···············]  50.0%  10 rows  5 rows/s  0 errors  ETA 2s'
 */
export function progressLine(view: ProgressView): string {
  const percent = Math.min(100, Math.max(0, view.percent ?? 0));
  const filled = Math.round((percent / 100) * WIDTH);
  const bar = `[${'█'.repeat(filled)}${'·'.repeat(WIDTH - filled)}]`;
  const eta = view.etaSeconds === undefined ? '' : `  ETA ${duration(view.etaSeconds)}`;
  const state = view.status === 'running' || view.status === 'queued' ? '' : `  (${view.status})`;
  return (
    `${bar} ${percent.toFixed(1).padStart(5)}%  ${view.rowsDone.total} rows  ` +
    `${Math.round(view.recentRowsPerSecond)} rows/s  ${view.errorsSoFar} errors${eta}${state}`
  );
}

/** Draws progress on a stream: in place on a TTY, else a plain line at most every `plainEveryMs`. */
export class ProgressBar {
  private lastPlainMs = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly plainEveryMs = 5_000,
  ) {}

  update(view: ProgressView): void {
    const line = progressLine(view);
    if (this.stream.isTTY) {
      this.stream.write(`\r${line}\x1b[K`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if (now - this.lastPlainMs < this.plainEveryMs) return;
    this.lastPlainMs = now;
    this.stream.write(`${line}\n`);
  }

  /** Ends the bar's line with the last view (always printed). */
  done(view: ProgressView): void {
    const line = progressLine(view);
    this.stream.write(this.stream.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
    this.drawn = false;
  }

  get active(): boolean {
    return this.drawn;
  }
}
