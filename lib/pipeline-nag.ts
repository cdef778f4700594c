import { Policy } from 'aws-cdk-lib/aws-iam';
import type { CodePipeline } from 'aws-cdk-lib/pipelines';
import { NagSuppressions, type NagPackSuppression } from 'cdk-nag';

/**
 * The wildcards CDK Pipelines writes into the policies it generates, each suppressed on the policy where it occurs
 * and only for the findings named. None reaches the platform's data: the pipeline's roles touch its own artifact
 * bucket and key, its own build projects, and the CDK bootstrap roles that do the deploying.
 */
/** An ARN's partition, region and account: literals, or the pseudo parameters of an environment-agnostic stack. */
const PARTITION = '(aws[a-z-]*|<AWS::Partition>)';
const REGION = '([a-z0-9-]+|<AWS::Region>)';
const ACCOUNT = '(\\d{12}|<AWS::AccountId>)';

const artifacts: NagPackSuppression = {
  id: 'AwsSolutions-IAM5',
  reason:
    "Pipeline artifacts: the S3 action groups and KMS data-key actions of CDK Pipelines' grant on the pipeline's " +
    'own artifact bucket (its objects) and its own artifact key, nothing else.',
  appliesTo: [
    { regex: '/^Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\\*$/' },
    { regex: '/^Action::kms:(GenerateDataKey|ReEncrypt)\\*$/' },
    { regex: '/^Resource::<PipelineArtifactsBucket[A-F0-9]+\\.Arn>\\/\\*$/' },
  ],
};

const buildLogs: NagPackSuppression = {
  id: 'AwsSolutions-IAM5',
  reason:
    'CodeBuild writes a build log stream per run and test reports per run: the log group /aws/codebuild/<project> ' +
    '(the asset projects share the prefix) and report groups named after the project are created per build.',
  appliesTo: [
    { regex: `/^Resource::arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:\\/aws\\/codebuild\\/.*$/` },
    { regex: `/^Resource::arn:${PARTITION}:codebuild:${REGION}:${ACCOUNT}:report-group\\/.*$/` },
  ],
};

const assetBuilds: NagPackSuppression = {
  id: 'AwsSolutions-IAM5',
  reason:
    'The asset publishing role starts and reads the builds of the asset projects, which CDK Pipelines creates ' +
    'while it builds the pipeline (one per asset): codebuild:StartBuild/BatchGetBuilds/StopBuild on any project.',
  appliesTo: ['Resource::*'],
};

const selfMutation: NagPackSuppression = {
  id: 'AwsSolutions-IAM5',
  reason:
    'Self-mutation runs cdk deploy of the pipeline stack: it may assume only roles tagged as CDK bootstrap roles ' +
    '(deploy, file and image publishing; a tag condition on role/*) and read stack state and the staging bucket.',
  appliesTo: ['Resource::*', { regex: `/^Resource::arn:\\*:iam::${ACCOUNT}:role\\/\\*$/` }],
};

/** Attaches the reasons above to the policies of a built pipeline (`buildPipeline()` first), and its own ones. */
export function suppressPipelineFindings(pipeline: CodePipeline, synthImage: string): void {
  for (const policy of pipeline.node.findAll().filter((construct) => construct instanceof Policy)) {
    const path = policy.node.path;
    // The role that starts the builds names each project: nothing to suppress.
    if (path.includes('/CodeBuildActionRole/')) continue;
    // The pipeline's own role and its actions' roles (source, approval) only touch artifacts; the others run builds.
    const runsBuilds = !/\/Pipeline\/Pipeline\/Role\/|CodePipelineActionRole/.test(path);
    const suppressions = runsBuilds ? [artifacts, buildLogs] : [artifacts];
    if (path.includes('/Assets/FileRole/')) suppressions.push(assetBuilds);
    if (path.includes('/UpdatePipeline/SelfMutation/')) suppressions.push(selfMutation);
    NagSuppressions.addResourceSuppressions(policy, suppressions);
  }
  NagSuppressions.addResourceSuppressions(pipeline.pipeline.artifactBucket, [
    {
      id: 'AwsSolutions-S1',
      reason:
        'The artifact bucket holds only what the pipeline itself writes and reads back (source snapshots and cloud ' +
        'assemblies, all rebuilt from the repository), private, KMS-encrypted and TLS-only; its access is through ' +
        "the pipeline's roles, whose calls CloudTrail records.",
    },
  ]);
  NagSuppressions.addResourceSuppressions(pipeline.synthProject, [
    {
      id: 'AwsSolutions-CB5',
      reason:
        `The synth step builds on ${synthImage} (Debian): the tests need Chromium, which the Ubuntu-based ` +
        'CodeBuild images only offer as a snap that does not run in a container.',
    },
  ]);
}
