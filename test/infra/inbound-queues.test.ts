import { Match } from 'aws-cdk-lib/assertions';
import { logicalId, removeAssembly, synthesize, type Synthesized } from './synth';

/**
 * Tenants' inbound queues are made at run time, so the template carries only the grants that make them: the API
 * (the admin operations) may create, tag, configure and delete queues named `loyalty-<stage>-inbound-*` and map them
 * to the inbound worker only; the inbound worker may receive from those queues and nothing more on them. No role
 * holds a wider SQS or Lambda grant. The platform's command queue runs in FIFO high-throughput mode.
 */
let synth: Synthesized;

beforeAll(() => {
  synth = synthesize();
});
afterAll(() => {
  removeAssembly(synth);
});

type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };

/** Every statement of a function's role. */
function statementsOf(functionId: 'api' | 'inboundWorker' | 'batchWorker'): Statement[] {
  const { stack, resources } = synth;
  const fn = resources[logicalId(stack, stack.functions[functionId])]!;
  const roleId = fn.Properties!.Role['Fn::GetAtt'][0] as string;
  return Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' && (r.Properties!.Roles as { Ref: string }[]).some((role) => role.Ref === roleId),
    )
    .flatMap((policy) => policy.Properties!.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statement: Statement) => [statement.Action].flat();
const text = (value: unknown) => JSON.stringify(value);
const INBOUND_PATTERN = /:loyalty-test-inbound-\*"/;

describe('inbound queue grants', () => {
  it('lets the admin API manage loyalty-<stage>-inbound-* queues only', () => {
    // Act
    const statements = statementsOf('api').filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    const managing = statements.filter((s) => actionsOf(s).includes('sqs:CreateQueue'));

    // Assess
    expect(managing).toHaveLength(1);
    expect(actionsOf(managing[0]!).sort()).toEqual(
      ['sqs:CreateQueue', 'sqs:DeleteQueue', 'sqs:GetQueueAttributes', 'sqs:SetQueueAttributes', 'sqs:TagQueue'].sort(),
    );
    expect(text(managing[0]!.Resource)).toMatch(INBOUND_PATTERN);
    // No wildcard action, and no managing action on any other queue.
    expect(statements.flatMap(actionsOf).filter((a) => a.includes('*'))).toEqual([]);
    for (const statement of statements.filter((s) => s !== managing[0]))
      expect(actionsOf(statement).filter((a) => /Create|Delete|SetQueue|Tag/.test(a))).toEqual([]);
  });

  it('lets the admin API map queues to the inbound worker only', () => {
    // Prepare
    const worker = logicalId(synth.stack, synth.stack.functions.inboundWorker);

    // Act
    const lambda = statementsOf('api').filter((s) => actionsOf(s).some((a) => a.startsWith('lambda:')));
    const byAction = (action: string) => lambda.find((s) => actionsOf(s).includes(action));

    // Assess
    // CDK merges statements on resource *: X-Ray's writes share one with the mappings' listing.
    expect(
      lambda
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('lambda:'))
        .sort(),
    ).toEqual(
      [
        'lambda:CreateEventSourceMapping',
        'lambda:DeleteEventSourceMapping',
        'lambda:GetEventSourceMapping',
        'lambda:ListEventSourceMappings',
      ].sort(),
    );
    for (const action of ['lambda:CreateEventSourceMapping', 'lambda:DeleteEventSourceMapping']) {
      const condition = byAction(action)?.Condition;
      expect(Object.keys(condition ?? {})).toEqual(['StringLike']);
      expect(text(condition)).toContain(worker);
      expect(text(condition)).toContain('lambda:FunctionArn');
    }
    expect(text(byAction('lambda:DeleteEventSourceMapping')?.Resource)).toContain(':event-source-mapping:*');
  });

  it('lets the inbound worker consume the inbound queues and queue batches, nothing else on SQS', () => {
    // Act
    const sqs = statementsOf('inboundWorker').filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    const consuming = sqs.find((s) => INBOUND_PATTERN.test(text(s.Resource)));

    // Assess
    expect(actionsOf(consuming!).sort()).toEqual(
      ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'].sort(),
    );
    expect(sqs.flatMap(actionsOf).filter((a) => /CreateQueue|DeleteQueue|SetQueue|\*/.test(a))).toEqual([]);
    expect(
      sqs
        .filter((s) => s !== consuming)
        .flatMap(actionsOf)
        .sort(),
    ).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].sort());
    expect(
      statementsOf('inboundWorker')
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('lambda:')),
    ).toEqual([]);
  });

  it('grants no other function anything on the inbound queues', () => {
    expect(statementsOf('batchWorker').some((s) => INBOUND_PATTERN.test(text(s.Resource)))).toBe(false);
  });
});

describe('FIFO high-throughput mode', () => {
  it('deduplicates and throttles the command queue per message group (member)', () => {
    synth.template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
    const queue = synth.resources[logicalId(synth.stack, synth.stack.queues.batchCommands)]!;
    expect(queue.Properties).toMatchObject({
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
  });
});
