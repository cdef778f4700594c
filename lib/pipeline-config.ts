/**
 * The delivery pipeline's settings, from CDK context values read only with `-c pipeline=true`: the repository and
 * branch it builds, the CodeConnections connection it reads them through, and where each promoted stage deploys.
 * A bad value fails `cdk synth`, naming every problem, before anything is deployed.
 */

import type { Environment } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import { z } from 'zod';
import { promotedStages, type PromotedStage } from '../functions/declaration/stages';

const REPOSITORY = /^[\w.-]+\/[\w.-]+$/;
/** A CodeConnections (formerly CodeStar Connections) connection: both services' ARNs are accepted. */
const CONNECTION_ARN = /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

const stageTarget = z
  .object({
    account: z.string().regex(ACCOUNT, 'a 12-digit account id').optional(),
    region: z.string().regex(REGION, 'a region name such as eu-west-1').optional(),
    /** The stage's own context values (`alarmEmail`, `domainName`, `apiGatewayAccount`, …), as `-c` would give. */
    context: z
      .record(z.string(), z.unknown())
      .refine((context) => !('stage' in context), 'the stage name comes from the pipeline, not from context')
      .optional(),
  })
  .strict();

const settings = z.object({
  repository: z.string().regex(REPOSITORY, 'owner/name of the repository'),
  branch: z.string().regex(/^[\w./-]{1,200}$/, 'a branch name'),
  connectionArn: z.string().regex(CONNECTION_ARN, 'the ARN of a CodeConnections connection'),
  stages: z.partialRecord(z.enum(promotedStages), stageTarget),
});

/** Where one promoted stage deploys, and the context its platform stack is built with. */
export interface StageTarget {
  /** Unset account or region: the pipeline's own. */
  readonly env: Environment;
  readonly context: Readonly<Record<string, unknown>>;
}

export interface PipelineConfig {
  /** `owner/name` of the repository the pipeline builds. */
  readonly repository: string;
  readonly branch: string;
  readonly connectionArn: string;
  readonly stages: Readonly<Record<PromotedStage, StageTarget>>;
}

/** The context keys the pipeline reads; its synth step passes them on, so the pipeline rebuilds itself alike. */
export const pipelineContextKeys = {
  enabled: 'pipeline',
  repository: 'pipelineRepo',
  branch: 'pipelineBranch',
  connectionArn: 'pipelineConnectionArn',
  stages: 'pipelineStages',
} as const;

/**
 * Reads the pipeline's context values: `pipelineRepo` (owner/name), `pipelineBranch` (default main),
 * `pipelineConnectionArn`, and `pipelineStages`, a JSON object by stage (a string on the command line).
 * @example pipelineConfigOf(app.node) // with -c pipelineStages='{"prod":{"account":"222222222222",
 *   "region":"eu-west-1","context":{"alarmEmail":"oncall@example.com"}}}'
 */
export function pipelineConfigOf(node: Node): PipelineConfig {
  const context = (key: string): unknown => node.tryGetContext(key);
  const parsed = settings.safeParse({
    repository: context(pipelineContextKeys.repository),
    branch: context(pipelineContextKeys.branch) ?? 'main',
    connectionArn: context(pipelineContextKeys.connectionArn),
    stages: jsonObject(context(pipelineContextKeys.stages)),
  });
  if (!parsed.success) {
    const keyOf = (field: PropertyKey) =>
      field in pipelineContextKeys ? pipelineContextKeys[field as keyof typeof pipelineContextKeys] : String(field);
    const problems = parsed.error.issues.map(
      (issue) => `${[keyOf(issue.path[0] ?? ''), ...issue.path.slice(1)].join('.')}: ${issue.message}`,
    );
    throw new Error(`Invalid pipeline context: ${problems.join('; ')}`);
  }
  const { stages, ...rest } = parsed.data;
  const targets = Object.fromEntries(
    promotedStages.map((stage) => {
      const { account, region, context: stageContext } = stages[stage] ?? {};
      return [stage, { env: { account, region }, context: stageContext ?? {} }];
    }),
  ) as Record<PromotedStage, StageTarget>;
  return { ...rest, stages: targets };
}

/** The `-c` arguments that reproduce this configuration, shell-quoted for the pipeline's own synth step. */
export function pipelineContextArguments(config: PipelineConfig): string {
  const stages = Object.fromEntries(
    promotedStages.map((stage) => {
      const { env, context } = config.stages[stage];
      return [stage, { account: env.account, region: env.region, context }];
    }),
  );
  const values: [string, string][] = [
    [pipelineContextKeys.enabled, 'true'],
    [pipelineContextKeys.repository, config.repository],
    [pipelineContextKeys.branch, config.branch],
    [pipelineContextKeys.connectionArn, config.connectionArn],
    [pipelineContextKeys.stages, JSON.stringify(stages)],
  ];
  return values.map(([key, value]) => `-c ${key}=${shellQuoted(value)}`).join(' ');
}

function jsonObject(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return {};
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new Error(`${pipelineContextKeys.stages} must be a JSON object: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

const shellQuoted = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
