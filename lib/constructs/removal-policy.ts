import { RemovalPolicy } from 'aws-cdk-lib';
import type { StageSettings } from '../../functions/declaration/stages';

/**
 * What happens to a data store (table, keys, buckets, queues) when the stack goes, by the stage's `removalPolicy`:
 * kept (prod, staging), or removed with it so a dev stack can be torn down and built again.
 */
export function dataRemovalPolicy(policy: StageSettings['removalPolicy']): RemovalPolicy {
  return policy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}
