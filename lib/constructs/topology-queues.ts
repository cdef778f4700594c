import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { StageSettings } from '../../functions/declaration/stages';
import {
  deadLetterQueueIds,
  queues as queueSpecs,
  redriveTargetIds,
  type QueueId,
  type QueueSpec,
} from '../../functions/declaration/topology';
import { dataRemovalPolicy } from './removal-policy';

/**
 * Every queue of the topology, with its dead-letter redrive. Messages are encrypted at rest with one
 * customer-managed key of the queues' own (rotating; senders and receivers are granted it by the IAM
 * declaration, so the table key stays with the functions that use the table) and the queue policy refuses
 * requests that do not use TLS.
 */
export class TopologyQueues extends Construct {
  readonly byId: Record<QueueId, sqs.Queue>;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: { readonly removalPolicy: StageSettings['removalPolicy'] }) {
    super(scope, id);
    // Kept in stages that keep their data: dead letters are records of what still has to reach someone.
    const removalPolicy = dataRemovalPolicy(props.removalPolicy);
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the messages of every queue (webhook deliveries, dead letters, failure records)',
      enableKeyRotation: true,
      // Messages still waiting (dead letters above all) stay readable if the stack is removed and redeployed.
      removalPolicy,
    });
    const built = new Map<QueueId, sqs.Queue>();

    // Dead-letter queues are built first, whatever order the topology lists them in.
    const build = (queueId: QueueId): sqs.Queue => {
      const existing = built.get(queueId);
      if (existing) return existing;
      const spec: QueueSpec = queueSpecs[queueId];
      let deadLetterQueue: sqs.DeadLetterQueue | undefined;
      if (spec.deadLetter) {
        const deadLetterId = spec.deadLetter.queue;
        if (queueSpecs[deadLetterId].fifo !== spec.fifo) {
          throw new Error(
            `Queue ${queueId} and its dead-letter queue ${deadLetterId} must both be FIFO or both standard`,
          );
        }
        deadLetterQueue = { queue: build(deadLetterId), maxReceiveCount: spec.deadLetter.maxReceiveCount };
      }
      const queue = new sqs.Queue(this, spec.id, {
        // Omitted rather than false: CloudFormation only accepts FifoQueue on FIFO queues.
        fifo: spec.fifo ? true : undefined,
        visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
        retentionPeriod: Duration.seconds(spec.retentionPeriodSeconds),
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: this.key,
        enforceSSL: true,
        deadLetterQueue,
        removalPolicy,
        ...(spec.highThroughput
          ? {
              deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
              fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
            }
          : {}),
      });
      built.set(queueId, queue);
      return queue;
    };

    for (const queueId of Object.keys(queueSpecs) as QueueId[]) build(queueId);
    this.byId = Object.fromEntries(built) as Record<QueueId, sqs.Queue>;

    const redriveTargets = redriveTargetIds();
    for (const queueId of deadLetterQueueIds()) {
      if (redriveTargets.has(queueId)) continue;
      NagSuppressions.addResourceSuppressions(this.byId[queueId], [
        {
          id: 'AwsSolutions-SQS3',
          reason:
            'This queue is itself a dead-letter destination: stream event-source mappings send the metadata ' +
            'of records they gave up on, and scheduled jobs the record of a failed run, here. ' +
            'Nothing consumes it automatically, so it needs no DLQ; its depth is alarmed.',
        },
      ]);
    }
  }
}
