/** Severities that fail the build when a production dependency carries them. */
export const FAILING_SEVERITIES = ['high', 'critical'] as const;

/** What `npm audit --json` printed and how it ended. */
export interface AuditRun {
  readonly stdout: string;
  /** True when the audit ran past the time allowed and was stopped. */
  readonly timedOut: boolean;
}

export type AuditVerdict =
  | { readonly kind: 'passed'; readonly counts: Record<string, number> }
  | { readonly kind: 'failed'; readonly counts: Record<string, number>; readonly packages: string[] }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'error'; readonly reason: string };

interface AuditReport {
  auditReportVersion?: number;
  metadata?: { vulnerabilities?: Record<string, number> };
  vulnerabilities?: Record<string, { severity?: string }>;
  message?: string;
  error?: { code?: string; summary?: string };
}

/** The path npm asks the registry's advisory service for; an error naming it means the service did not answer. */
const ADVISORY_ENDPOINT = '/-/npm/v1/security/advisories/bulk';

/**
 * Judges an `npm audit --json` run: a report fails on high or critical advisories; a request to the advisory
 * service that failed (no route, refused, an HTTP error such as a mirror's 405, or our time limit) is a skip;
 * anything else (no lockfile, unreadable output) is an error, so a broken audit never passes silently.
 */
export function auditVerdict(run: AuditRun): AuditVerdict {
  if (run.timedOut) return { kind: 'skipped', reason: 'no answer within the time limit' };
  let report: AuditReport;
  try {
    report = JSON.parse(run.stdout) as AuditReport;
  } catch {
    return { kind: 'error', reason: `npm audit printed no JSON: ${run.stdout.slice(0, 200)}` };
  }
  const counts = report.metadata?.vulnerabilities;
  if (report.auditReportVersion !== undefined && counts) {
    const failing = new Set<string>(FAILING_SEVERITIES);
    const packages = Object.entries(report.vulnerabilities ?? {})
      .filter(([, advisory]) => failing.has(advisory.severity ?? ''))
      .map(([name, advisory]) => `${name} (${advisory.severity})`)
      .sort();
    const failingCount = FAILING_SEVERITIES.reduce((sum, severity) => sum + (counts[severity] ?? 0), 0);
    return failingCount > 0 ? { kind: 'failed', counts, packages } : { kind: 'passed', counts };
  }
  const message = report.message ?? report.error?.summary ?? '';
  if (message.includes(ADVISORY_ENDPOINT)) return { kind: 'skipped', reason: message };
  return { kind: 'error', reason: message || report.error?.code || 'npm audit gave neither a report nor an error' };
}
