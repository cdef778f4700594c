import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { promotedStages } from '../../functions/declaration/stages';
import { pipelineConfigOf, pipelineContextArguments } from '../../lib/pipeline-config';
import { PipelineStack, synthImage } from '../../lib/pipeline-stack';
import { suppressionRecorder } from './synth';

const cdkContext = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }
).context;

const PIPELINE_ACCOUNT = '111111111111';
const PROD_ACCOUNT = '222222222222';
const CONNECTION_ARN = `arn:aws:codeconnections:eu-west-1:${PIPELINE_ACCOUNT}:connection/0a1b2c3d-4e5f`;
const pipelineContext = {
  pipelineRepo: 'acme/loyalty-ledger',
  pipelineConnectionArn: CONNECTION_ARN,
  pipelineStages: JSON.stringify({
    prod: { account: PROD_ACCOUNT, context: { alarmEmail: "oncall-prod+o'hara@example.com" } },
  }),
};

interface Action {
  Name: string;
  ActionTypeId: { Category: string; Provider: string };
  RunOrder: number;
  Configuration?: Record<string, unknown>;
  RoleArn?: unknown;
}
interface PipelineStage {
  Name: string;
  Actions: Action[];
}

let app: App | undefined;
let stack: PipelineStack;
let template: Template;
let stages: PipelineStage[];
const { logger: recorder, used: usedSuppressions } = suppressionRecorder();

beforeAll(() => {
  // One synth. Bundling is skipped (`cdk deploy --exclusively` does the same): the three stages would bundle every
  // function three times, and the bundles are the other infra tests' subject; here it is the pipeline's shape.
  app = new App({ context: { ...cdkContext, ...pipelineContext, 'aws:cdk:bundling-stacks': [] } });
  stack = new PipelineStack(app, 'LoyaltyLedgerPipeline', {
    config: pipelineConfigOf(app.node),
    env: { account: PIPELINE_ACCOUNT, region: 'eu-west-1' },
    nagLoggers: [recorder],
  });
  template = Template.fromStack(stack);
  const pipelines = template.findResources('AWS::CodePipeline::Pipeline');
  expect(Object.keys(pipelines)).toHaveLength(1);
  stages = (Object.values(pipelines)[0] as { Properties: { Stages: PipelineStage[] } }).Properties.Stages;
}, 300_000);
afterAll(() => {
  if (app) rmSync(app.outdir, { recursive: true, force: true });
});

const stageNamed = (name: string) => stages.find((stage) => stage.Name === name);
const deployActions = (stage: PipelineStage) => stage.Actions.filter((a) => a.ActionTypeId.Category === 'Deploy');

describe('delivery pipeline', () => {
  it('reads the branch through the connection, builds, then promotes dev, staging and prod in that order', () => {
    // Assess
    expect(stages.map((stage) => stage.Name)).toEqual([
      'Source',
      'Build',
      'UpdatePipeline',
      'Assets',
      ...promotedStages,
    ]);
    expect(stageNamed('Source')!.Actions[0]).toMatchObject({
      ActionTypeId: { Category: 'Source', Provider: 'CodeStarSourceConnection' },
      Configuration: { ConnectionArn: CONNECTION_ARN, FullRepositoryId: 'acme/loyalty-ledger', BranchName: 'main' },
    });
    expect(stageNamed('Build')!.Actions.map((a) => [a.Name, a.ActionTypeId.Provider])).toEqual([
      ['Synth', 'CodeBuild'],
    ]);
  });

  it('installs from the lockfile, runs the tests on an image with Java and Chromium, then synthesizes', () => {
    // Prepare
    const projects = template.findResources('AWS::CodeBuild::Project', {
      Properties: { Environment: { Image: synthImage } },
    });
    const buildSpec = JSON.parse(
      (Object.values(projects)[0] as { Properties: { Source: { BuildSpec: string } } }).Properties.Source.BuildSpec,
    ) as { phases: { install: { commands: string[] }; build: { commands: string[] } } };

    // Assess
    expect(Object.keys(projects)).toHaveLength(1);
    expect(buildSpec.phases.install.commands.join('\n')).toMatch(/apt-get install .*default-jre-headless chromium/);
    expect(buildSpec.phases.build.commands).toEqual([
      'npm ci',
      'npm test',
      expect.stringMatching(/^npx cdk synth --quiet -c pipeline='true' -c pipelineRepo='acme\/loyalty-ledger' /),
    ]);
  });

  it('deploys each stage as the platform stack of its name (the stack a manual deploy of that stage updates)', () => {
    for (const stage of promotedStages) {
      // Prepare
      const promoted = stack.stages[stage];
      const platform = Template.fromStack(promoted.platform);

      // Assess
      expect(deployActions(stageNamed(stage)!).map((a) => a.Configuration?.StackName)).toEqual([
        `LoyaltyLedger-${stage}`,
        `LoyaltyLedger-${stage}`,
      ]);
      expect(promoted.platform.stackName).toBe(`LoyaltyLedger-${stage}`);
      platform.templateMatches({ Description: `Loyalty ledger platform (${stage})` });
      platform.hasOutput('ApiBaseUrl', { Value: Match.anyValue() });
    }
    // Only prod's own context carries the alarm address.
    Template.fromStack(stack.stages.prod.platform).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: "oncall-prod+o'hara@example.com",
    });
    Template.fromStack(stack.stages.staging.platform).resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('asks for a manual approval before any prod deploy action, and only in prod', () => {
    // Prepare
    const prod = stageNamed('prod')!;
    const approvals = stages.flatMap((stage) =>
      stage.Actions.filter((a) => a.ActionTypeId.Category === 'Approval').map((a) => ({ stage: stage.Name, ...a })),
    );

    // Assess
    expect(approvals.map((a) => [a.stage, a.ActionTypeId.Provider])).toEqual([['prod', 'Manual']]);
    expect(deployActions(prod).length).toBeGreaterThan(0);
    for (const action of deployActions(prod)) expect(action.RunOrder).toBeGreaterThan(approvals[0]!.RunOrder);
  });

  it('deploys prod through the prod account bootstrap role, the others in the pipeline account', () => {
    const roleAccounts = (stage: string) =>
      deployActions(stageNamed(stage)!).map((a) => JSON.stringify(a.RoleArn).match(/:iam::(\d{12}):/)?.[1]);
    expect(roleAccounts('prod')).toEqual([PROD_ACCOUNT, PROD_ACCOUNT]);
    expect(roleAccounts('dev')).toEqual([PIPELINE_ACCOUNT, PIPELINE_ACCOUNT]);
  });

  it('smoke-tests each stage after its deploy, against the URL the stage outputs', () => {
    for (const stage of promotedStages) {
      const actions = stageNamed(stage)!.Actions;
      const smoke = actions.find((a) => a.Name === `Smoke-${stage}`)!;
      expect(smoke.RunOrder).toBeGreaterThan(Math.max(...deployActions(stageNamed(stage)!).map((a) => a.RunOrder)));
      expect(JSON.stringify(smoke.Configuration?.EnvironmentVariables)).toContain('API_BASE_URL');
    }
  });

  it('keeps artifacts in a private bucket under a rotated customer-managed key', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });
});

describe('delivery pipeline cdk-nag AwsSolutions', () => {
  it('reports no unsuppressed errors or warnings', () => {
    const findings = [
      ...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ];
    const headline = (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data)).split(':')[0];
    expect(findings.map((finding) => `${finding.id} ${headline(finding.entry.data)}`)).toEqual([]);
  });

  it('gives every suppression a written reason and puts it where the rule reports', () => {
    // Prepare
    const resources = template.toJSON().Resources as Record<string, { Metadata?: Record<string, any> }>;
    const placed = Object.entries(resources).flatMap(([logicalId, resource]) =>
      ((resource.Metadata?.cdk_nag?.rules_to_suppress ?? []) as { id: string; reason: string }[]).map((s) => ({
        entry: `${logicalId} ${s.id}`,
        reasoned: s.reason.length >= 60,
      })),
    );

    // Assess
    expect(placed.length).toBeGreaterThan(0);
    expect(placed.filter((s) => !s.reasoned)).toEqual([]);
    expect(placed.map((s) => s.entry).filter((entry) => !usedSuppressions.has(entry))).toEqual([]);
  });
});

describe('pipeline context', () => {
  it('refuses bad values, naming each', () => {
    // Prepare
    const context = { pipelineRepo: 'no-owner', pipelineStages: '{"qa":{}}' };

    // Act
    const read = () => pipelineConfigOf(new App({ context }).node);

    // Assess
    expect(read).toThrow(/pipelineRepo: owner\/name.*pipelineConnectionArn: .*pipelineStages/);
  });

  it("passes itself on to the pipeline's own synth step intact, shell quoting included", () => {
    // Prepare
    const config = pipelineConfigOf(new App({ context: pipelineContext }).node);

    // Act: the shell splits the arguments as the synth step's shell will.
    const printed = spawnSync('bash', ['-c', `printf '%s\\n' ${pipelineContextArguments(config)}`], {
      encoding: 'utf8',
    });
    const values = printed.stdout.trim().split('\n');
    const context = Object.fromEntries(
      values.filter((_, index) => index % 2 === 1).map((pair) => pair.split(/=(.*)/s).slice(0, 2)),
    );

    // Assess
    expect(values.filter((_, index) => index % 2 === 0).every((flag) => flag === '-c')).toBe(true);
    expect(context.pipeline).toBe('true');
    expect(pipelineConfigOf(new App({ context }).node)).toEqual(config);
  });
});
