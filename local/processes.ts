import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** Finds a free TCP port on loopback (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

export interface ManagedProcess {
  child: ChildProcess;
  /** The last lines it printed, for error messages. */
  output: () => string;
  /** A closure over the child, so it can be handed on as a cleanup. */
  stop: () => Promise<void>;
}

const live = new Set<ChildProcess>();

function kill(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

process.once('exit', () => {
  for (const child of live) if (child.pid) kill(child.pid, 'SIGKILL');
});

/**
 * Spawns a child that stays in this process group (Ctrl-C or a harness stopping the group stops
 * it too), is stopped with SIGTERM then SIGKILL, and is killed if this process exits first.
 */
export function spawnManaged(command: string, args: string[], options: { cwd?: string } = {}): ManagedProcess {
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.on('exit', () => live.delete(child));
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(chunk.toString());
    if (lines.length > 50) lines.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        resolve();
      }),
    );
    kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.pid) kill(child.pid, 'SIGKILL');
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, output: () => lines.join(''), stop };
}

/**
 * Polls until `probe` gives a value (anything but undefined), or fails after `timeoutMs`.
 * @example const hooks = await waitFor(async () => (await list()).length >= 3 || undefined, { timeoutMs: 20_000, what:
 * 'webhooks' });
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
