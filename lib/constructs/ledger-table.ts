import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { StageSettings } from '../../functions/declaration/stages';
import { table as tableSpec } from '../../functions/declaration/topology';
import { dataRemovalPolicy } from './removal-policy';

export interface LedgerTableProps {
  /** `retain` (prod, staging): kept with the stack gone and protected against deletion; `destroy` (dev): neither. */
  readonly removalPolicy: StageSettings['removalPolicy'];
}

/** CDK's attribute types by the name the topology writes ('S', 'N', 'B'). */
const ATTRIBUTE_TYPES = new Map<string, dynamodb.AttributeType>(
  Object.values(dynamodb.AttributeType).map((value) => [value, value]),
);

const attributeType = (type: string): dynamodb.AttributeType => {
  const found = ATTRIBUTE_TYPES.get(type);
  if (!found) throw new Error(`Unknown DynamoDB attribute type '${type}'`);
  return found;
};

/**
 * The single ledger table (members, ledger entries, outbox events, subscriptions), built from
 * the topology. Its data is the platform's record of truth, so it is encrypted with its own
 * customer-managed key, point-in-time recoverable and, in stages that keep their data, protected
 * against deletion and retained when the stack goes away.
 */
export class LedgerTable extends Construct {
  readonly table: dynamodb.Table;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: LedgerTableProps) {
    super(scope, id);
    const removalPolicy = dataRemovalPolicy(props.removalPolicy);

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the loyalty ledger table and its stream',
      enableKeyRotation: true,
      removalPolicy,
    });

    this.table = new dynamodb.Table(this, tableSpec.id, {
      partitionKey: { name: tableSpec.partitionKey.name, type: attributeType(tableSpec.partitionKey.type) },
      sortKey: { name: tableSpec.sortKey.name, type: attributeType(tableSpec.sortKey.type) },
      billingMode: dynamodb.BillingMode[tableSpec.billingMode],
      stream: dynamodb.StreamViewType[tableSpec.streamViewType],
      timeToLiveAttribute: tableSpec.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.removalPolicy === 'retain',
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      removalPolicy,
    });

    for (const index of tableSpec.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType[index.projection],
      });
    }
    for (const index of tableSpec.localSecondaryIndexes) {
      this.table.addLocalSecondaryIndex({
        indexName: index.indexName,
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType[index.projection],
      });
    }
  }
}
