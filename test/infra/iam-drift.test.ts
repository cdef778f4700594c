import { executionRolePolicy, resolvePolicy } from '../../functions/declaration/iam-policy';
import {
  functions as functionSpecs,
  tokenSigningKeys,
  type FunctionId,
  type FunctionSpec,
  type QueueId,
} from '../../functions/declaration/topology';
import { logicalId, removeAssembly, synthesize, type Synthesized } from './synth';

/**
 * IAM drift: every function's execution role in the synthesized template grants exactly what
 * `functions/declaration/iam-policy.ts` declares (which the local twin enforces), in both directions. Statements
 * are compared as (action, resource) pairs, so CDK merging statements (minimizePolicies) changes
 * nothing. Every statement counts: the log-group and KMS ones are part of the declaration too.
 */

let synth: Synthesized;
const functionEntries = Object.entries(functionSpecs) as [FunctionId, FunctionSpec][];

beforeAll(() => {
  synth = synthesize();
});
afterAll(() => {
  removeAssembly(synth);
});

type Expression = string | Record<string, unknown>;

/** Names a template resource expression the way the symbolic targets below name declared ones. */
function describeResource(expression: Expression, functionId: FunctionId): string {
  const { stack } = synth;
  if (typeof expression === 'string') return expression;
  const names = new Map<string, string>([
    [logicalId(stack, stack.ledger.table), 'table'],
    [stack.getLogicalId(stack.ledger.key.node.defaultChild as never), 'tableKey'],
    [stack.getLogicalId(stack.queueKey.node.defaultChild as never), 'queueKey'],
    [stack.getLogicalId(stack.secretsKey.node.defaultChild as never), 'secretsKey'],
    [stack.getLogicalId(stack.lake.deliveryStream), 'rawEventsStream'],
    [logicalId(stack, stack.lake.bucket), 'lakeBucket'],
    [stack.getLogicalId(stack.lake.key.node.defaultChild as never), 'lakeKey'],
    [logicalId(stack, stack.imports.bucket), 'importsBucket'],
    [stack.getLogicalId(stack.imports.key.node.defaultChild as never), 'importsKey'],
    [logicalId(stack, stack.functionLogGroups[functionId]), 'logGroup'],
    ...tokenSigningKeys.slots.map(
      (slot) => [logicalId(stack, stack.tokenKeys.bySlot[slot]), `tokenKey:${slot}`] as [string, string],
    ),
    ...(Object.keys(stack.functions) as FunctionId[]).map(
      (id) => [logicalId(stack, stack.functions[id]), `function:${id}`] as [string, string],
    ),
    ...(Object.keys(stack.queues) as QueueId[]).map(
      (queueId) => [logicalId(stack, stack.queues[queueId]), `queue:${queueId}`] as [string, string],
    ),
  ]);
  const getAtt = expression['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt) {
    const name = names.get(getAtt[0]);
    if (name === 'table' && getAtt[1] === 'StreamArn') return 'tableStream';
    if (name && getAtt[1] === 'Arn') return name;
  }
  const join = expression['Fn::Join'] as [string, Expression[]] | undefined;
  if (join && join[0] === '') return join[1].map((part) => describeResource(part, functionId)).join('');
  return JSON.stringify(expression);
}

type Conditions = Record<string, Record<string, Expression | Expression[]>>;

/** A template condition with its values named as `describeResource` names resources (function ARNs). */
function describeCondition(conditions: Conditions, functionId: FunctionId): Conditions {
  return Object.fromEntries(
    Object.entries(conditions).map(([operator, keys]) => [
      operator,
      Object.fromEntries(
        Object.entries(keys).map(([key, value]) => [
          key,
          Array.isArray(value)
            ? value.map((v) => describeResource(v, functionId))
            : describeResource(value, functionId),
        ]),
      ),
    ]),
  );
}

/** What the synthesized template grants the function's role, as `action on resource` lines. */
function granted(functionId: FunctionId): string[] {
  const { stack, resources } = synth;
  const fn = resources[logicalId(stack, stack.functions[functionId])]!;
  const roleId = fn.Properties!.Role['Fn::GetAtt'][0] as string;
  const role = resources[roleId]!.Properties!;
  expect([role.ManagedPolicyArns ?? [], role.Policies ?? []]).toEqual([[], []]);
  const statements = Object.values(resources)
    .filter(
      (resource) =>
        resource.Type === 'AWS::IAM::Policy' &&
        resource.Properties!.Roles.some((r: { Ref: string }) => r.Ref === roleId),
    )
    .flatMap((policy) => policy.Properties!.PolicyDocument.Statement as Record<string, unknown>[]);
  return statements.flatMap((statement) => {
    // Allow statements with actions, resources and conditions only: a Deny or NotAction would need modelling first.
    expect(
      Object.keys(statement)
        .filter((key) => key !== 'Condition')
        .sort(),
    ).toEqual(['Action', 'Effect', 'Resource']);
    expect(statement.Effect).toBe('Allow');
    const actions = [statement.Action].flat() as string[];
    const targets = [statement.Resource].flat() as Expression[];
    const condition = statement.Condition
      ? ` if ${JSON.stringify(describeCondition(statement.Condition as Conditions, functionId))}`
      : '';
    return actions.flatMap((action) =>
      targets.map((target) => `${action} on ${describeResource(target, functionId)}${condition}`),
    );
  });
}

/** What the declaration says, resolved against symbolic targets named like `describeResource` names them. */
function declared(spec: FunctionSpec): string[] {
  const policy = resolvePolicy(executionRolePolicy(spec), {
    tableArn: 'table',
    tableStreamArn: 'tableStream',
    tableKeyArn: 'tableKey',
    queueKeyArn: 'queueKey',
    secretsKeyArn: 'secretsKey',
    apiGatewayArn: 'arn:{"Ref":"AWS::Partition"}:apigateway:{"Ref":"AWS::Region"}::',
    queueArn: (queue) => `queue:${queue}`,
    rawEventsStreamArn: 'rawEventsStream',
    logGroupArn: 'logGroup',
    tokenKeyArn: (slot) => `tokenKey:${slot}`,
    // The synthesized stack signs with the default slot.
    activeTokenKeyArn: `tokenKey:${tokenSigningKeys.defaultActiveSlot}`,
    lakeBucketArn: 'lakeBucket',
    lakeKeyArn: 'lakeKey',
    inboundQueueArns:
      'arn:{"Ref":"AWS::Partition"}:sqs:{"Ref":"AWS::Region"}:{"Ref":"AWS::AccountId"}:loyalty-test-inbound-*',
    eventSourceMappingArns:
      'arn:{"Ref":"AWS::Partition"}:lambda:{"Ref":"AWS::Region"}:{"Ref":"AWS::AccountId"}:event-source-mapping:*',
    functionArn: (id) => `function:${id}`,
    importsBucketArn: 'importsBucket',
    importsKeyArn: 'importsKey',
  });
  return policy.flatMap((statement) => {
    const condition = statement.conditions ? ` if ${JSON.stringify(statement.conditions)}` : '';
    return statement.actions.flatMap((action) =>
      statement.resources.map((resource) => `${action} on ${resource}${condition}`),
    );
  });
}

const sorted = (lines: string[]) => [...new Set(lines)].sort();

describe('execution roles', () => {
  it.each(functionEntries)('%s: the template grants exactly the declared policy', (functionId, spec) => {
    // Act
    const inTemplate = sorted(granted(functionId));
    const inDeclaration = sorted(declared(spec));

    // Assess: nothing granted that is not declared, nothing declared that is not granted
    expect(inTemplate.filter((line) => !inDeclaration.includes(line))).toEqual([]);
    expect(inDeclaration.filter((line) => !inTemplate.includes(line))).toEqual([]);
  });

  it('lets the delivery function send to the delivery queue: a redriven DLQ copy is queued as a new round', () => {
    expect(granted('webhookDelivery')).toContain('sqs:SendMessage on queue:webhookDelivery');
  });
});
