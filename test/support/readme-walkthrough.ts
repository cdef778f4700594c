import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from './run-script';

/** The bash block that follows `<!-- <marker> -->` in the README: a walkthrough a test runs as it stands. */
export function readmeWalkthrough(marker: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const [, block] = new RegExp(`<!-- ${marker} -->\\s*\`\`\`bash\\n([\\s\\S]*?)\`\`\``).exec(readme) ?? [];
  if (!block) throw new Error(`README.md has no ${marker} block`);
  return block;
}

/** Runs a script with bash from the repository root; stdout and stderr interleaved, as a reader would see them. */
export function runBash(script: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    // `npm run` inside a block runs the CLI with this test's Node.
    const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, ...env, PATH } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve({ code, out });
    });
  });
}
