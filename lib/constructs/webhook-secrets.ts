import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { StageSettings } from '../../functions/declaration/stages';
import { dataRemovalPolicy } from './removal-policy';

/**
 * The customer-managed key that seals webhook signing secrets (envelope encryption, with the tenant and the
 * endpoint as encryption context). Which function may seal or open is the IAM declaration's business.
 */
export class WebhookSecrets extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: { readonly removalPolicy: StageSettings['removalPolicy'] }) {
    super(scope, id);
    this.key = new kms.Key(this, 'SecretsKey', {
      description: 'Seals webhook signing secrets (data keys for AES-256-GCM, tenant and endpoint as context)',
      enableKeyRotation: true,
      // Without the key, every sealed secret in a retained table would be lost with the stack: kept as the table is.
      removalPolicy: dataRemovalPolicy(props.removalPolicy),
    });
  }
}
