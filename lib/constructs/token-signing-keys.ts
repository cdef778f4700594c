import { CfnOutput } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { StageSettings } from '../../functions/declaration/stages';
import { tokenSigningKeys, type TokenKeySlot } from '../../functions/declaration/topology';
import { dataRemovalPolicy } from './removal-policy';

export interface TokenSigningKeysProps {
  readonly stage: string;
  /** The slot whose key signs new tokens (context `tokenSigningKeySlot`); the other one only verifies. */
  readonly activeSlot: TokenKeySlot;
  readonly removalPolicy: StageSettings['removalPolicy'];
}

/**
 * The asymmetric KMS keys (ECC_NIST_P256, SIGN_VERIFY) that sign OAuth access tokens: the private keys never leave
 * KMS. Two slots, so a rotation switches the active slot while the previous key stays in the JWKS until its tokens
 * have expired (docs/runbooks/token-key-rotation.md). KMS cannot rotate asymmetric keys itself; the slots do it.
 */
export class TokenSigningKeys extends Construct {
  readonly bySlot: Record<TokenKeySlot, kms.Key>;
  readonly active: kms.Key;

  constructor(scope: Construct, id: string, props: TokenSigningKeysProps) {
    super(scope, id);
    const bySlot = {} as Record<TokenKeySlot, kms.Key>;
    for (const slot of tokenSigningKeys.slots) {
      bySlot[slot] = new kms.Key(this, `Slot${slot}`, {
        description: `Signs OAuth access tokens of loyalty-ledger-${props.stage} (slot ${slot})`,
        keySpec: kms.KeySpec.ECC_NIST_P256,
        keyUsage: kms.KeyUsage.SIGN_VERIFY,
        alias: `alias/loyalty-ledger-${props.stage}-token-${slot.toLowerCase()}`,
        // A deleted key would leave its tokens unverifiable and cannot be brought back: kept with the stack gone
        // where the stage keeps its data.
        removalPolicy: dataRemovalPolicy(props.removalPolicy),
      });
    }
    this.bySlot = bySlot;
    this.active = bySlot[props.activeSlot];
    new CfnOutput(this, 'ActiveTokenSigningKey', {
      description: `The KMS key signing access tokens now (slot ${props.activeSlot})`,
      value: this.active.keyArn,
    });
  }
}
