import { auditVerdict } from '../../scripts/supply-chain/audit-verdict';

/** A report as `npm audit --json` (report version 2) prints it. */
const report = (vulnerabilities: Record<string, string>) => {
  const counts: Record<string, number> = { info: 0, low: 0, moderate: 0, high: 0, critical: 0 };
  for (const severity of Object.values(vulnerabilities)) counts[severity] = (counts[severity] ?? 0) + 1;
  return JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities: Object.fromEntries(
      Object.entries(vulnerabilities).map(([name, severity]) => [
        name,
        { name, severity, via: [], fixAvailable: true },
      ]),
    ),
    metadata: { vulnerabilities: { ...counts, total: Object.keys(vulnerabilities).length } },
  });
};

describe('auditVerdict', () => {
  it('fails on high or critical advisories and names the packages', () => {
    // Act
    const verdict = auditVerdict({
      stdout: report({ jose: 'critical', zod: 'moderate', 'fast-xml-parser': 'high' }),
      timedOut: false,
    });

    // Assess
    expect(verdict).toMatchObject({ kind: 'failed', packages: ['fast-xml-parser (high)', 'jose (critical)'] });
  });

  it('passes a report with only low and moderate advisories', () => {
    // Act
    const verdict = auditVerdict({ stdout: report({ zod: 'moderate', jose: 'low' }), timedOut: false });

    // Assess
    expect(verdict).toMatchObject({ kind: 'passed', counts: { moderate: 1, low: 1, high: 0, critical: 0 } });
  });

  it.each([
    [
      'an HTTP error from a mirror',
      '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    ],
    [
      'no route to the service',
      'request to https://registry.npmjs.org/-/npm/v1/security/advisories/bulk failed, reason: getaddrinfo ENOTFOUND',
    ],
  ])('skips when the advisory service did not answer: %s', (_case, message) => {
    // Act
    const verdict = auditVerdict({ stdout: JSON.stringify({ message, error: { summary: '' } }), timedOut: false });

    // Assess
    expect(verdict).toEqual({ kind: 'skipped', reason: message });
  });

  it('skips when the audit ran out of time, whatever it printed', () => {
    expect(auditVerdict({ stdout: '', timedOut: true })).toMatchObject({ kind: 'skipped' });
  });

  it('is an error, not a skip, when the audit fails for a local reason', () => {
    // Prepare
    const noLockfile = JSON.stringify({
      error: { code: 'ENOLOCK', summary: 'This command requires an existing lockfile.' },
    });

    // Act
    const verdicts = [
      auditVerdict({ stdout: noLockfile, timedOut: false }),
      auditVerdict({ stdout: '', timedOut: false }),
    ];

    // Assess
    expect(verdicts.map((verdict) => verdict.kind)).toEqual(['error', 'error']);
  });
});
