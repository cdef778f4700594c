import { readFileSync } from 'node:fs';
import { nodeMajor } from '../../functions/declaration/runtime';

/**
 * renovate.json, checked for what the patch discipline relies on: each family of packages that must move together
 * lands in one group whatever the update, security fixes are not held back, and the Node.js major in runtime.ts is
 * found by the custom manager. Only the options below are used (names from the Renovate documentation), so a
 * misspelt option fails here instead of being ignored by Renovate.
 */

interface PackageRule {
  matchPackageNames?: string[];
  matchUpdateTypes?: string[];
  groupName?: string;
  [option: string]: unknown;
}
interface RenovateConfig {
  schedule: string[];
  vulnerabilityAlerts: Record<string, unknown>;
  lockFileMaintenance: { enabled: boolean; schedule: string[] };
  customManagers: { managerFilePatterns: string[]; matchStrings: string[]; depNameTemplate: string }[];
  packageRules: PackageRule[];
  [option: string]: unknown;
}

const ROOT = new URL('../../', import.meta.url);
const config = JSON.parse(readFileSync(new URL('renovate.json', ROOT), 'utf8')) as RenovateConfig;
const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const dependencies = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)];

const TOP_LEVEL_OPTIONS = new Set([
  '$schema',
  'description',
  'extends',
  'timezone',
  'schedule',
  'minimumReleaseAge',
  'prConcurrentLimit',
  'vulnerabilityAlerts',
  'osvVulnerabilityAlerts',
  'lockFileMaintenance',
  'customManagers',
  'packageRules',
]);
const RULE_OPTIONS = new Set([
  'description',
  'matchPackageNames',
  'matchUpdateTypes',
  'groupName',
  'allowedVersions',
  'dependencyDashboardApproval',
]);

/** Renovate's package-name matching for the two forms used here: an exact name, or `@scope/**`. */
function matchesName(pattern: string, name: string): boolean {
  if (pattern.endsWith('/**')) return name.startsWith(pattern.slice(0, -2));
  if (/[*?{}!/]/.test(pattern.replace(/^@[^/]+\//, ''))) throw new Error(`Pattern form not modelled: ${pattern}`);
  return pattern === name;
}

/** The group a package's update ends in: rules apply in order, a later match overrides an earlier one. */
function groupOf(name: string, updateType: string): string | undefined {
  let group: string | undefined;
  for (const rule of config.packageRules) {
    const nameMatches = rule.matchPackageNames?.some((pattern) => matchesName(pattern, name)) ?? true;
    const typeMatches = rule.matchUpdateTypes?.includes(updateType) ?? true;
    if (nameMatches && typeMatches && rule.groupName) group = rule.groupName;
  }
  return group;
}

describe('renovate.json', () => {
  it('uses only the documented options it was written with', () => {
    expect(Object.keys(config).filter((option) => !TOP_LEVEL_OPTIONS.has(option))).toEqual([]);
    const ruleOptions = config.packageRules.flatMap((rule) => Object.keys(rule));
    expect(ruleOptions.filter((option) => !RULE_OPTIONS.has(option))).toEqual([]);
  });

  it.each([
    ['AWS SDK', (name: string) => name.startsWith('@aws-sdk/') || name === 'aws-sdk-client-mock'],
    ['AWS CDK', (name: string) => ['aws-cdk', 'aws-cdk-lib', 'constructs', 'cdk-nag'].includes(name)],
    ['Powertools', (name: string) => name.startsWith('@aws-lambda-powertools/')],
    ['Node.js and the Lambda runtime', (name: string) => ['node', '@types/node'].includes(name)],
  ])('puts every %s dependency of package.json in one group, for every kind of update', (group, member) => {
    // Prepare
    const members = dependencies.filter(member);

    // Act
    const groups = members.flatMap((name) => ['major', 'minor', 'patch'].map((type) => [name, groupOf(name, type)]));

    // Assess
    expect(members.length).toBeGreaterThan(0);
    expect(groups).toEqual(groups.map(([name]) => [name, group]));
  });

  it('groups the other minor and patch updates in one routine pull request, on the weekly schedule', () => {
    expect(groupOf('zod', 'minor')).toBe('routine updates');
    expect(groupOf('zod', 'major')).toBeUndefined();
    expect(config.schedule).toEqual(['before 6am on monday']);
    expect(config.lockFileMaintenance).toMatchObject({ enabled: true, schedule: config.schedule });
  });

  it('opens security fixes at once: any time, no release age, no waiting', () => {
    expect(config.vulnerabilityAlerts).toMatchObject({
      enabled: true,
      schedule: ['at any time'],
      minimumReleaseAge: null,
      prCreation: 'immediate',
    });
  });

  it("finds runtime.ts's Node.js major as the node dependency, with the pinned node's group", () => {
    // Prepare
    const [runtimeManager] = config.customManagers;
    const file = 'functions/declaration/runtime.ts';
    const source = readFileSync(new URL(file, ROOT), 'utf8');

    // Act
    const filePattern = /^\/(.*)\/$/.exec(runtimeManager?.managerFilePatterns[0] ?? '')?.[1] ?? '';
    const found = new RegExp(runtimeManager?.matchStrings[0] ?? '').exec(source)?.groups?.currentValue;

    // Assess
    expect(new RegExp(filePattern).test(file)).toBe(true);
    expect(found).toBe(String(nodeMajor));
    expect(groupOf(runtimeManager?.depNameTemplate ?? '', 'major')).toBe('Node.js and the Lambda runtime');
  });
});
