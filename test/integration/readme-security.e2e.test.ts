import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../support/run-script';
import { useTwin } from '../support/twin-process';

/**
 * The README's security walkthrough (onboarding a tenant with the CLI, a key and an OAuth client, a token with
 * curl, a call with it, rotation and revocation) run as it stands, with bash, curl and jq, against a twin: a change
 * that breaks a step breaks this test, so the README cannot drift from the platform.
 */
const twin = useTwin();

/** The bash block that follows the `<!-- security-walkthrough -->` marker in the README. */
function walkthrough(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const [, block] = /<!-- security-walkthrough -->\s*```bash\n([\s\S]*?)```/.exec(readme) ?? [];
  if (!block) throw new Error('README.md has no security walkthrough block');
  return block;
}

function runBash(script: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    // `npm run` inside the block runs the CLI with this test's Node.
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

describe('the README security walkthrough', () => {
  it('onboards a tenant, issues, uses, rotates and revokes a key and an OAuth client on the twin', async () => {
    // Act
    const run = await runBash(walkthrough(), {
      LOYALTY_API_URL: twin.apiUrl.replace(/\/+$/, ''),
      LOYALTY_OPERATOR_KEY: twin.demo.operatorKey,
    });

    // Assess: every `test` in the block held (set -e), and the trail names each action.
    expect({ code: run.code, out: run.out }).toMatchObject({ code: 0 });
    expect(run.out).toMatch(/onboarded acme-hotels-\d+: key key_\w+ and client occ_\w+ issued, rotated and revoked/);
    for (const action of ['audit.api_key.rotated', 'audit.oauth_client.created', 'audit.oauth_client.secret_rotated']) {
      expect(run.out).toContain(action);
    }
  }, 120_000);
});
