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
      server.close(() => resolve(port));
    });
  });
}

export interface ManagedProcess {
  child: ChildProcess;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/**
 * Spawns a child that stays in this process group (Ctrl-C or a harness stopping the group stops
 * it too), is stopped with SIGTERM then SIGKILL, and is killed if this process exits first.
 */
export function spawnManaged(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; name: string }): ManagedProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, detached: false, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', () => live.delete(child));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid && kill(child.pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  Object.defineProperty(child, 'recentOutput', { get: () => output.join('') });
  return { child, stop };
}

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

export async function waitUntil(check: () => Promise<boolean>, options: { timeoutMs: number; intervalMs?: number; what: string }) {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
