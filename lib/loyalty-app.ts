import { Aspects, type Environment, type Stage } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type INagLogger } from 'cdk-nag';
import type { CustomDomain } from './constructs/ledger-api';
import { tokenSigningKeys, type TokenKeySlot } from '../functions/declaration/topology';
import { parseLakeReaders } from './lake-readers';
import { LoyaltyPlatformStack } from './stacks/loyalty-platform-stack';

const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

/**
 * Adds the platform to a CDK app for the stage named by the `stage` context value (default
 * `dev`) and runs the AWS Solutions checks (cdk-nag) over it. The CLI entry point, the delivery
 * pipeline's stages (`app` is then a `Stage`, whose context names the stage) and the infra tests
 * all call this, so the tests check exactly what gets deployed, however it is deployed.
 *
 * @example
 * const app = new App({ context: { stage: 'test' } });
 * const stack = addLoyaltyPlatform(app);
 */
export function addLoyaltyPlatform(
  app: Stage,
  env?: Environment,
  options: { nagLoggers?: INagLogger[] } = {},
): LoyaltyPlatformStack {
  const stage = String(app.node.tryGetContext('stage') ?? 'dev');
  if (!STAGE_PATTERN.test(stage)) throw new Error(`Stage '${stage}' must be lower-case letters, digits and dashes`);
  // `-c alarmEmail=…` overrides the stage's address (stages.ts); the stack falls back to that one.
  const alarmEmail = app.node.tryGetContext('alarmEmail') as string | undefined;
  // `-c apiGatewayAccount=external` when another stack already sets the region's API Gateway logging role.
  const manageApiGatewayAccount = app.node.tryGetContext('apiGatewayAccount') !== 'external';

  const stackName = `LoyaltyLedger-${stage}`;
  const stack = new LoyaltyPlatformStack(app, stackName, {
    stage,
    alarmEmail,
    manageApiGatewayAccount,
    customDomain: customDomainOf(app),
    tokenSigningKeySlot: tokenSigningKeySlotOf(app),
    // `-c snowpipeSqsArn=arn:aws:sqs:…`: the queue of Snowflake's pipes (snowflake/01-setup.sql, SHOW PIPES).
    snowpipeSqsArn: app.node.tryGetContext('snowpipeSqsArn') as string | undefined,
    // `-c lakeReaders='[{"tenantId":"acme","principalArn":"arn:aws:iam::…:user/…","externalId":"…"}]'`.
    lakeReaders: parseLakeReaders(app.node.tryGetContext('lakeReaders'), stackName),
    // The same CloudFormation stack whether the CLI or the pipeline deploys it (a Stage would prefix its name).
    stackName,
    env,
    description: `Loyalty ledger platform (${stage})`,
  });
  // On the app or stage itself: aspects of an app do not reach into its nested stages.
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true, additionalLoggers: options.nagLoggers }));
  return stack;
}

/** `-c domainName=api.example.com -c certificateArn=arn:aws:acm:…`: both or neither. */
function customDomainOf(app: Stage): CustomDomain | undefined {
  const domainName = app.node.tryGetContext('domainName') as string | undefined;
  const certificateArn = app.node.tryGetContext('certificateArn') as string | undefined;
  if (!domainName && !certificateArn) return undefined;
  if (!domainName || !certificateArn) throw new Error('A custom domain needs both domainName and certificateArn');
  return { domainName, certificateArn };
}

/** `-c tokenSigningKeySlot=B` switches the key that signs access tokens (docs/runbooks/token-key-rotation.md). */
function tokenSigningKeySlotOf(app: Stage): TokenKeySlot {
  const slot = String(app.node.tryGetContext('tokenSigningKeySlot') ?? tokenSigningKeys.defaultActiveSlot);
  const known = tokenSigningKeys.slots.find((candidate) => candidate === slot);
  if (!known) throw new Error(`tokenSigningKeySlot must be one of ${tokenSigningKeys.slots.join(', ')}`);
  return known;
}
