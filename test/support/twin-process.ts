import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import type { Twin } from '../../local/twin';

export { waitFor } from '../../local/processes';

/** What the twin prints on its `--json` ready line (`local/main.ts`). */
export type TwinInfo = Pick<
  Twin,
  'apiUrl' | 'receiverUrl' | 'statusUrl' | 'lakeDir' | 'demo' | 'endpoints' | 'functionEndpoints' | 'queueUrls'
> & { startedMs: number };

export interface RunningTwin extends TwinInfo {
  /** Moves the functions' clock forward by `ms` (points expire, holds end) without waiting for it. */
  advanceClock(ms: number): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * How long a twin may take to be ready (`TWIN_START_TIMEOUT_MS`): generous, since it catches a twin that hangs, not a
 * slow one; an idle 2-core machine starts it in about 10 s, one running other suites beside it has taken over 60 s.
 */
const START_TIMEOUT_MS = Number(process.env.TWIN_START_TIMEOUT_MS ?? 180_000);

/**
 * Settings every test twin runs with unless a test passes its own: the stream consumers read a
 * tenant's webhook endpoints afresh for every batch (no 5 s cache), so a test that registers or
 * changes an endpoint goes on at once instead of sleeping past the cache. The per-tenant rate limits are off:
 * the fuzz and isolation tests send far more than a tenant's default 50 requests per second on purpose; the
 * rate-limit test turns them on (`TWIN_RATE_LIMITS: 'on'`).
 */
const TEST_SETTINGS: Record<string, string> = {
  SUBSCRIPTION_CACHE_TTL_MS: '0',
  LAKE_SETTINGS_CACHE_TTL_MS: '0',
  TWIN_RATE_LIMITS: 'off',
};

/**
 * Starts the local twin exactly as a user does (`local/main.ts`), in memory on free ports (with
 * TEST_SETTINGS and extra settings in `env`, e.g. a compressed retry schedule), in its
 * own process group; stop() sends SIGTERM to the group (the twin stops its JVM and servers) and
 * SIGKILL if it has not exited in time, so no process outlives the test.
 */
export async function startTwinProcess(args: string[] = [], env: Record<string, string> = {}): Promise<RunningTwin> {
  const freePorts = ['--port', '0', '--receiver-port', '0', '--status-port', '0'];
  const child: ChildProcess = spawn(
    process.execPath,
    // In memory unless the test keeps the twin's data (`--data-dir`) to start it again on it.
    ['--import', 'tsx', 'local/main.ts', ...(args.includes('--data-dir') ? [] : ['--in-memory'])].concat(
      freePorts,
      ['--json'],
      args,
    ),
    { cwd: ROOT, detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...TEST_SETTINGS, ...env } },
  );
  const log: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });

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

  // Commands on the twin's stdin (`local/main.ts`), each answered by a line with its id.
  const answers = new Map<number, (answer: { error?: string }) => void>();
  let commands = 0;
  const command = (body: Record<string, unknown>) =>
    new Promise<void>((resolve, reject) => {
      const id = ++commands;
      answers.set(id, (answer) => {
        if (answer.error) reject(new Error(`twin: ${answer.error}`));
        else resolve();
      });
      child.stdin!.write(`${JSON.stringify({ id, ...body })}\n`);
    });

  const ready = await new Promise<TwinInfo>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`twin did not start in ${START_TIMEOUT_MS / 1000} s:\n${log.join('')}`));
    }, START_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const parsed = protocolLine(line);
      if (parsed && typeof parsed.id === 'number' && answers.has(parsed.id)) {
        answers.get(parsed.id)!(parsed);
        answers.delete(parsed.id);
      } else if (parsed?.ready) {
        clearTimeout(timer);
        resolve(parsed as unknown as TwinInfo);
      } else {
        // The functions' own log lines (Powertools, pretty-printed JSON at INFO or DEBUG) are output too.
        log.push(line + '\n');
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`twin exited with ${code} before it was ready:\n${log.join('')}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { ...ready, advanceClock: (ms) => command({ advanceClockMs: ms }), stop, output: () => log.join('') };
}

/** A line of the twin's stdin protocol (its ready line, a command's answer), or undefined for any other line. */
function protocolLine(
  line: string,
): ({ id?: unknown; ready?: unknown; error?: string } & Record<string, unknown>) | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const fields = parsed as Record<string, unknown>;
    return 'ready' in fields || 'id' in fields ? fields : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The twin of a test file: started (as startTwinProcess) before its tests, stopped after them. The
 * handle is filled in when the twin is ready, so it is read inside tests and hooks, not at load time.
 */
export function useTwin(args: string[] = [], env: Record<string, string> = {}): RunningTwin {
  const twin = {} as Partial<RunningTwin>;
  beforeAll(async () => {
    Object.assign(twin, await startTwinProcess(args, env));
  }, START_TIMEOUT_MS + 30_000);
  afterAll(async () => {
    await twin.stop?.();
  });
  return twin as RunningTwin;
}
