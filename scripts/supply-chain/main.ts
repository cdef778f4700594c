import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { auditVerdict } from './audit-verdict';

/**
 * The build's supply-chain step (`npm run supply-chain`, first in `npm test`): the audit gate on production
 * dependencies, then the CycloneDX SBOM of what ships in the function bundles. Exits 1 when the gate fails.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AUDIT_TIME_LIMIT_MS = 60_000;
const SBOM_FILE = 'sbom/bom.json';

function audit(): boolean {
  const run = spawnSync(
    'npm',
    ['audit', '--omit=dev', '--audit-level=high', '--json', '--fetch-retries=1', '--fetch-timeout=20000'],
    { cwd: ROOT, encoding: 'utf8', timeout: AUDIT_TIME_LIMIT_MS, maxBuffer: 64 * 1024 * 1024 },
  );
  // spawnSync's error for a run it stopped at the time limit.
  const timedOut = run.error !== undefined && 'code' in run.error && run.error.code === 'ETIMEDOUT';
  if (run.error && !timedOut) {
    console.error(`audit could not run: ${run.error.message}`);
    return false;
  }
  const verdict = auditVerdict({ stdout: run.stdout, timedOut });
  switch (verdict.kind) {
    case 'passed':
      console.log(`audit passed: no high or critical advisories in production dependencies`, verdict.counts);
      return true;
    case 'failed':
      console.error(`audit failed: high or critical advisories in production dependencies`, verdict.counts);
      for (const name of verdict.packages) console.error(`  ${name}`);
      console.error('Fix: docs/runbooks/dependency-zero-day.md');
      return false;
    case 'skipped':
      console.log(`audit skipped: advisory service unreachable (${verdict.reason})`);
      return true;
    case 'error':
      console.error(`audit could not run: ${verdict.reason}`);
      return false;
  }
}

interface BomComponent {
  components?: BomComponent[];
}
interface Bom extends BomComponent {
  specVersion: string;
}

/** Components nest (a package under the one that bundles it): count them all. */
const countComponents = (components: BomComponent[] = []): number =>
  components.reduce((sum, component) => sum + 1 + countComponents(component.components), 0);

function sbom(): boolean {
  mkdirSync(`${ROOT}sbom`, { recursive: true });
  const run = spawnSync(
    `${ROOT}node_modules/.bin/cyclonedx-npm`,
    ['--omit', 'dev', '--output-reproducible', '--validate', '--output-file', SBOM_FILE],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] },
  );
  if (run.status !== 0) {
    console.error(`SBOM failed: ${run.stderr}`);
    return false;
  }
  const bom = JSON.parse(readFileSync(`${ROOT}${SBOM_FILE}`, 'utf8')) as Bom;
  console.log(
    `SBOM written: ${SBOM_FILE} (CycloneDX ${bom.specVersion}, ${countComponents(bom.components)} components)`,
  );
  return true;
}

const passed = audit();
const written = sbom();
process.exit(passed && written ? 0 : 1);
