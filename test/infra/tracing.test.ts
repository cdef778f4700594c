import { TRACE_WRITE_ACTIONS } from '../../functions/declaration/iam-policy';
import { functions as functionSpecs, type FunctionId } from '../../functions/declaration/topology';
import { logicalId, removeAssembly, synthesize, type Synthesized } from './synth';

/** X-Ray across the platform: the API stage and every function trace, and each role may write its segments. */

let synth: Synthesized;
const functionIds = Object.keys(functionSpecs) as FunctionId[];

beforeAll(() => {
  synth = synthesize();
});
afterAll(() => {
  removeAssembly(synth);
});

/** The Allow statements of the function's role, as `action on resource` lines. */
function grantsOf(functionId: FunctionId): string[] {
  const fn = synth.resources[logicalId(synth.stack, synth.stack.functions[functionId])]!;
  const roleId = fn.Properties!.Role['Fn::GetAtt'][0] as string;
  return Object.values(synth.resources)
    .filter(
      (r) => r.Type === 'AWS::IAM::Policy' && r.Properties!.Roles.some((role: { Ref: string }) => role.Ref === roleId),
    )
    .flatMap((policy) => policy.Properties!.PolicyDocument.Statement as Record<string, unknown>[])
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) =>
      ([statement.Action].flat() as string[]).flatMap((action) =>
        [statement.Resource].flat().map((resource) => `${action} on ${JSON.stringify(resource)}`),
      ),
    );
}

describe('tracing', () => {
  it.each(functionIds)('%s runs with active tracing', (functionId) => {
    // Prepare
    const fn = synth.resources[logicalId(synth.stack, synth.stack.functions[functionId])]!;

    // Assess
    expect(fn.Properties!.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it.each(functionIds)("%s's role may write trace segments, on * only as X-Ray requires", (functionId) => {
    // Act
    const grants = grantsOf(functionId);

    // Assess
    for (const action of TRACE_WRITE_ACTIONS) expect(grants).toContain(`${action} on "*"`);
    expect(grants.filter((grant) => grant.startsWith('xray:')).sort()).toEqual(
      TRACE_WRITE_ACTIONS.map((action) => `${action} on "*"`).sort(),
    );
  });

  it('traces every request at the API stage', () => {
    synth.template.resourceCountIs('AWS::ApiGateway::Stage', 1);
    synth.template.allResourcesProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
  });

  it('gives the reason for X-Ray on resource * on each role, scoped to that finding', () => {
    // Prepare
    const xrayReasons = Object.values(synth.resources).flatMap((resource) =>
      ((resource.Metadata?.cdk_nag?.rules_to_suppress ?? []) as { reason: string; applies_to?: unknown[] }[]).filter(
        (s) => s.reason.includes('xray:PutTraceSegments'),
      ),
    );

    // Assess
    expect(xrayReasons).toHaveLength(functionIds.length);
    for (const suppression of xrayReasons) expect(suppression.applies_to).toEqual(['Resource::*']);
  });
});
