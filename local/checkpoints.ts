import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Where each stream mapping has got to per shard, so a restarted twin resumes instead of replaying. */
export class Checkpoints {
  private state: Record<string, { sequenceNumber?: string; done?: boolean }> = {};

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) this.state = JSON.parse(readFileSync(file, 'utf8'));
  }

  get(mapping: string, shardId: string) {
    return this.state[`${mapping}/${shardId}`];
  }

  set(mapping: string, shardId: string, value: { sequenceNumber?: string; done?: boolean }) {
    this.state[`${mapping}/${shardId}`] = { ...this.get(mapping, shardId), ...value };
    if (this.file) {
      writeFileSync(`${this.file}.tmp`, JSON.stringify(this.state));
      renameSync(`${this.file}.tmp`, this.file);
    }
  }
}
