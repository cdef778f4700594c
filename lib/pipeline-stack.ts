import { Aspects, Stack, type StackProps } from 'aws-cdk-lib';
import { ComputeType, LinuxBuildImage } from 'aws-cdk-lib/aws-codebuild';
import { PipelineType } from 'aws-cdk-lib/aws-codepipeline';
import { CodePipeline, CodePipelineSource, ManualApprovalStep, ShellStep } from 'aws-cdk-lib/pipelines';
import { AwsSolutionsChecks, type INagLogger } from 'cdk-nag';
import type { Construct } from 'constructs';
import { nodeMajor } from '../functions/declaration/runtime';
import { promotedStages, type PromotedStage } from '../functions/declaration/stages';
import { LoyaltyStage } from './loyalty-stage';
import { pipelineContextArguments, type PipelineConfig } from './pipeline-config';
import { suppressPipelineFindings } from './pipeline-nag';

/**
 * The build image of the synth step: Debian, where `chromium` and a JRE are plain packages. (On the Ubuntu-based
 * CodeBuild standard images `chromium-browser` is a snap stub that does not run in a container.) Its Node major
 * is the declared runtime's; `npm ci` then installs the exact pinned `node` the scripts run on.
 */
export const synthImage = `public.ecr.aws/docker/library/node:${nodeMajor}-bookworm`;

/** What `npm test` needs beyond Node: Java for DynamoDB Local, Chromium for the status page's browser test. */
const testPrerequisites = [
  'apt-get update -qq',
  'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends default-jre-headless chromium',
];

export interface PipelineStackProps extends StackProps {
  readonly config: PipelineConfig;
  /** Extra cdk-nag loggers (the infra tests record which suppressions were used). */
  readonly nagLoggers?: INagLogger[];
}

/**
 * The delivery pipeline: every push to the branch is built and tested once (`npm ci`, `npm test`, `cdk synth`),
 * then the same cloud assembly is deployed to dev, staging and prod in that order, each stage smoke-tested after
 * its deploy, prod only after a person approves. The pipeline updates itself first when its own definition
 * changed. Deployed once by hand (`cdk deploy -c pipeline=true …`, docs/deploy.md).
 */
export class PipelineStack extends Stack {
  readonly pipeline: CodePipeline;
  readonly stages: Record<PromotedStage, LoyaltyStage>;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;
    // The stages run their own checks (addLoyaltyPlatform): a stack's aspects do not reach into nested stages.
    Aspects.of(this).add(new AwsSolutionsChecks({ verbose: true, additionalLoggers: props.nagLoggers }));

    this.pipeline = new CodePipeline(this, 'Pipeline', {
      pipelineName: 'LoyaltyLedger',
      pipelineType: PipelineType.V2,
      // A customer-managed, rotated key for the artifact bucket; also what lets other accounts' roles read it.
      crossAccountKeys: true,
      enableKeyRotation: true,
      synth: new ShellStep('Synth', {
        input: CodePipelineSource.connection(config.repository, config.branch, {
          connectionArn: config.connectionArn,
        }),
        installCommands: testPrerequisites,
        commands: ['npm ci', 'npm test', `npx cdk synth --quiet ${pipelineContextArguments(config)}`],
        primaryOutputDirectory: 'cdk.out',
      }),
      synthCodeBuildDefaults: {
        // The integration tests run DynamoDB Local, the twin and a browser side by side: 4 vCPUs, 7 GiB.
        buildEnvironment: {
          buildImage: LinuxBuildImage.fromDockerRegistry(synthImage),
          computeType: ComputeType.MEDIUM,
        },
      },
    });

    this.stages = Object.fromEntries(
      promotedStages.map((stage) => {
        const { env, context } = config.stages[stage];
        // What a stage leaves unset is the pipeline's own account or region.
        const stageEnv = { account: env.account ?? props.env?.account, region: env.region ?? props.env?.region };
        return [stage, new LoyaltyStage(this, stage, { stage, env: stageEnv, context })];
      }),
    ) as Record<PromotedStage, LoyaltyStage>;

    for (const stage of promotedStages) {
      const { platform } = this.stages[stage];
      this.pipeline.addStage(this.stages[stage], {
        pre:
          stage === 'prod'
            ? [new ManualApprovalStep('ApproveProd', { comment: 'Promote the release that passed staging to prod' })]
            : [],
        post: [smokeStep(stage, platform.apiBaseUrlOutput)],
      });
    }
    this.pipeline.buildPipeline();
    suppressPipelineFindings(this.pipeline, synthImage);
  }
}

/**
 * After a stage's deploy (CloudFormation returns once every alias finished its canary), the public API answers:
 * its OpenAPI document goes through API Gateway and the API function. The full smoke run needs a tenant key.
 */
function smokeStep(stage: PromotedStage, apiBaseUrl: LoyaltyStage['platform']['apiBaseUrlOutput']): ShellStep {
  return new ShellStep(`Smoke-${stage}`, {
    envFromCfnOutputs: { API_BASE_URL: apiBaseUrl },
    commands: [
      'curl --fail --silent --show-error --retry 5 --retry-all-errors --max-time 30 "$API_BASE_URL/openapi.json"' +
        ' | grep --quiet \'"openapi"\'',
    ],
  });
}
