import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** How long a changed checkpoint may stay unwritten; `flush()` (on stop) writes it at once. */
const FLUSH_DELAY_MS = 1_000;

type Checkpoint = { sequenceNumber?: string; done?: boolean };

/**
 * Where each stream mapping has got to per shard, so a restarted twin resumes instead of replaying.
 * Changes are written to the file shortly after they happen (not on every batch) and on `flush()`;
 * a crash in between replays at most that last second, which consumers tolerate (at-least-once).
 */
export class Checkpoints {
  private state: Record<string, Checkpoint> = {};
  private dirty = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) this.state = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Checkpoint>;
  }

  get(mapping: string, shardId: string) {
    return this.state[`${mapping}/${shardId}`];
  }

  set(mapping: string, shardId: string, value: Checkpoint) {
    const current = this.get(mapping, shardId);
    const next = { ...current, ...value };
    if (current && next.sequenceNumber === current.sequenceNumber && next.done === current.done) return;
    this.state[`${mapping}/${shardId}`] = next;
    if (!this.file) return;
    this.dirty = true;
    // Unref'd: a pending write never keeps the process alive (stopping flushes explicitly).
    this.timer ??= setTimeout(() => {
      try {
        this.flush();
      } catch (error) {
        console.error('twin: could not write the stream checkpoints (kept for the next write)', error);
      }
    }, FLUSH_DELAY_MS).unref();
  }

  /** Writes pending changes to the file now. */
  flush() {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.file || !this.dirty) return;
    writeFileSync(`${this.file}.tmp`, JSON.stringify(this.state));
    renameSync(`${this.file}.tmp`, this.file);
    this.dirty = false;
  }
}
