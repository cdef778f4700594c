import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import type { Twin } from '../../local/twin';

export { waitFor } from '../../local/processes';

/** What the twin prints on its `--json` ready line (`local/main.ts`). */
export type TwinInfo = Pick<Twin, 'apiUrl' | 'receiverUrl' | 'lakeDir' | 'demo' | 'endpoints' | 'functionEndpoints' | 'queueUrls'> & { startedMs: number };

export interface RunningTwin extends TwinInfo {
  stop(): Promise<void>;
  output(): string;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Starts the local twin exactly as a user does (`local/main.ts`), in memory on free ports (with
 * extra settings in `env`, e.g. a compressed retry schedule), in its
 * own process group; stop() sends SIGTERM to the group (the twin stops its JVM and servers) and
 * SIGKILL if it has not exited in time, so no process outlives the test.
 */
export async function startTwinProcess(args: string[] = [], env: Record<string, string> = {}): Promise<RunningTwin> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'local/main.ts', '--in-memory', '--port', '0', '--receiver-port', '0', '--json', ...args],
    { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  const log: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, 10_000);
    await exited;
    clearTimeout(timer);
  };

  const ready = await new Promise<TwinInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`twin did not start in 60 s:\n${log.join('')}`)), 60_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return log.push(line + '\n');
      const parsed = JSON.parse(line);
      if (parsed.ready) {
        clearTimeout(timer);
        resolve(parsed);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`twin exited with ${code} before it was ready:\n${log.join('')}`));
    });
  }).catch(async (error) => {
    await stop();
    throw error;
  });
  return { ...ready, stop, output: () => log.join('') };
}
