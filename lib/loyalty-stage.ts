import { Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PromotedStage } from '../functions/declaration/stages';
import { addLoyaltyPlatform } from './loyalty-app';
import type { LoyaltyPlatformStack } from './stacks/loyalty-platform-stack';

export interface LoyaltyStageProps extends StageProps {
  readonly stage: PromotedStage;
  /** Context values of this stage only (`alarmEmail`, `domainName`, …); they take precedence over the app's. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/**
 * One promoted stage of the delivery pipeline: the platform stack `LoyaltyLedger-<stage>`, built by the same
 * function as `cdk deploy -c stage=<stage>` (cdk-nag included), so the pipeline deploys what the tests check.
 */
export class LoyaltyStage extends Stage {
  readonly platform: LoyaltyPlatformStack;

  constructor(scope: Construct, id: string, props: LoyaltyStageProps) {
    super(scope, id, props);
    // Context is read where the stack is built: set on the stage, it shadows the app's for this stage alone.
    for (const [key, value] of Object.entries({ ...props.context, stage: props.stage })) {
      this.node.setContext(key, value);
    }
    this.platform = addLoyaltyPlatform(this);
  }
}
