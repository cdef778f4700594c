import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { removeAssembly, suppressionRecorder, synthesize, type Synthesized } from './synth';

let synth: Synthesized;
/** `<logical id> <rule>` of every finding a suppression silenced. */
const { logger: recorder, used: usedSuppressions } = suppressionRecorder();

beforeAll(() => {
  synth = synthesize('test', { nagLoggers: [recorder] });
});
afterAll(() => {
  removeAssembly(synth);
});

/** Every finding is fixed or suppressed on purpose; a new suppression has to be added here too. */
const REVIEWED_SUPPRESSIONS = [
  'AwsSolutions-APIG2',
  'AwsSolutions-APIG3',
  'AwsSolutions-APIG4',
  'AwsSolutions-COG4',
  'AwsSolutions-IAM4',
  'AwsSolutions-IAM5',
  'AwsSolutions-SQS3',
];

interface Suppression {
  id: string;
  reason: string;
}

/** The first line of an annotation's message (cdk-nag writes a string; anything else is shown as JSON). */
const headline = (data: unknown): string => (typeof data === 'string' ? data : JSON.stringify(data)).split('\n')[0]!;

describe('cdk-nag AwsSolutions', () => {
  it('reports no unsuppressed errors', () => {
    // Act
    const errors = Annotations.fromStack(synth.stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));

    // Assess
    expect(errors.map((error) => `${error.id}: ${headline(error.entry.data)}`)).toEqual([]);
  });

  it('reports no unsuppressed warnings', () => {
    const warnings = Annotations.fromStack(synth.stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect(warnings.map((warning) => `${warning.id}: ${headline(warning.entry.data)}`)).toEqual([]);
  });

  it('suppresses only reviewed rules, each with a written reason', () => {
    // Prepare
    const suppressions = Object.values(synth.resources).flatMap(
      (resource) => (resource.Metadata?.cdk_nag?.rules_to_suppress ?? []) as Suppression[],
    );

    // Assess
    expect([...new Set(suppressions.map((s) => s.id))].sort()).toEqual(REVIEWED_SUPPRESSIONS);
    for (const suppression of suppressions) {
      expect([suppression.id, suppression.reason.length >= 60]).toEqual([suppression.id, true]);
    }
  });

  it('scopes each IAM5 suppression to the policy it is about and to the findings it names', () => {
    // Prepare: a role's own (inline) policy is part of the role, so there the role is the narrowest resource.
    const scoped = Object.entries(synth.resources).flatMap(([id, resource]) =>
      ((resource.Metadata?.cdk_nag?.rules_to_suppress ?? []) as (Suppression & { applies_to?: unknown[] })[])
        .filter((s) => s.id === 'AwsSolutions-IAM5')
        .map((s) => ({
          id,
          onPolicy:
            resource.Type === 'AWS::IAM::Policy' ||
            (resource.Type === 'AWS::IAM::Role' && resource.Properties?.Policies !== undefined),
          appliesTo: (s.applies_to ?? []).length > 0,
        })),
    );

    // Assess
    expect(scoped.length).toBeGreaterThan(0);
    expect(scoped.filter((s) => !s.onPolicy || !s.appliesTo)).toEqual([]);
  });

  it('puts each suppression on a resource the rule reports (none spread over children it does not apply to)', () => {
    // Prepare
    const placed = Object.entries(synth.resources).flatMap(([logicalId, resource]) =>
      ((resource.Metadata?.cdk_nag?.rules_to_suppress ?? []) as Suppression[]).map((s) => `${logicalId} ${s.id}`),
    );

    // Assess
    expect(placed.length).toBeGreaterThan(0);
    expect([...new Set(placed)].filter((entry) => !usedSuppressions.has(entry))).toEqual([]);
  });
});
