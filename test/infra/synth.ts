import { readFileSync, rmSync } from 'node:fs';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { INagLogger, NagLoggerSuppressedData } from 'cdk-nag';
import type { FunctionId } from '../../functions/declaration/topology';
import { LIVE_ALIAS } from '../../lib/constructs/topology-functions';
import { addLoyaltyPlatform } from '../../lib/loyalty-app';
import type { LoyaltyPlatformStack } from '../../lib/stacks/loyalty-platform-stack';

/** cdk.json's context (feature flags): without it the tests would check another template than the CLI deploys. */
const cdkContext = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }
).context;

export interface Synthesized {
  app: App;
  stack: LoyaltyPlatformStack;
  template: Template;
  /** The raw template, for comparisons that walk every resource. */
  resources: Record<string, { Type: string; Properties?: Record<string, any>; [key: string]: any }>;
}

/**
 * Synthesizes the app as the CLI does (same entry function, same context, cdk-nag attached).
 * Bundles the functions with esbuild, so call it once per test file (in `beforeAll`).
 */
export function synthesize(
  stage = 'test',
  options: { context?: Record<string, unknown>; nagLoggers?: INagLogger[] } = {},
): Synthesized {
  const app = new App({ context: { ...cdkContext, stage, ...options.context } });
  const stack = addLoyaltyPlatform(app, undefined, { nagLoggers: options.nagLoggers });
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources };
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(stack: LoyaltyPlatformStack, construct: { node: { defaultChild?: unknown } }): string {
  const child = construct.node.defaultChild;
  if (!CfnElement.isCfnElement(child)) throw new Error('Construct has no CloudFormation resource');
  return stack.getLogicalId(child);
}

/** Removes the cloud assembly (bundles included) that `synthesize` wrote to a temporary directory. */
export function removeAssembly(synth: Synthesized | undefined): void {
  if (synth) rmSync(synth.app.outdir, { recursive: true, force: true });
}

/**
 * How the template names a function's `live` alias: its ARN (`Ref` of the alias) where an ARN is taken (schedule
 * targets, permissions, the authorizer's URI), and `<function name>:live` where a name is (event-source mappings).
 */
export function liveAliasRefs(synth: Synthesized, functionId: FunctionId): { arn: unknown; qualifiedName: unknown } {
  const aliasId = logicalId(synth.stack, synth.stack.functionAliases[functionId]);
  return {
    arn: { Ref: aliasId },
    qualifiedName: {
      'Fn::Join': ['', [{ 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: aliasId }] }] }, `:${LIVE_ALIAS}`]],
    },
  };
}

/**
 * The template's Lambda functions but CDK's own bucket-emptying provider, which stages that remove their data
 * (`removalPolicy: 'destroy'`) add so their buckets can be deleted: not a platform function.
 */
export function platformLambdaFunctions(synth: Synthesized): [string, Synthesized['resources'][string]][] {
  return Object.entries(synth.resources).filter(
    ([id, resource]) =>
      resource.Type === 'AWS::Lambda::Function' && !id.startsWith('CustomS3AutoDeleteObjectsCustomResourceProvider'),
  );
}

/**
 * A cdk-nag logger that records every finding a suppression silenced, as `<logical id> <rule>`: a suppression that
 * silences nothing is stale, one recorded but not reviewed is new.
 */
export function suppressionRecorder(): { logger: INagLogger; used: Set<string> } {
  const used = new Set<string>();
  const ignore = () => undefined;
  const logger: INagLogger = {
    onSuppressed: (data: NagLoggerSuppressedData) => {
      used.add(`${Stack.of(data.resource).getLogicalId(data.resource)} ${data.ruleId}`);
    },
    onCompliance: ignore,
    onNonCompliance: ignore,
    onError: ignore,
    onSuppressedError: ignore,
    onNotApplicable: ignore,
  };
  return { logger, used };
}
