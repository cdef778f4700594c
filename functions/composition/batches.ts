import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient, sqsClient } from '../adapters/aws-clients';
import { DynamoAuditTrail } from '../adapters/dynamo-audit-trail';
import { DynamoBatchStore } from '../adapters/dynamo-batch-store';
import { DynamoOfferStore } from '../adapters/dynamo-offer-store';
import { DynamoRewardStore } from '../adapters/dynamo-reward-store';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store';
import { changeVisibility, SqsCommandQueue } from '../adapters/sqs-command-queue';
import { catalogueReplies } from '../api/catalogue-views';
import { memberView } from '../api/ledger-views';
import type { LedgerService } from '../domain/ledger-service';
import { applyCommand, type CommandServices } from '../api/inbound-commands';
import { BatchCommandWorker, BatchService } from '../domain/batch-service';
import { retryDelaySeconds, type CommandMessage } from '../domain/batches';
import { RewardCatalogue } from '../domain/reward-catalogue';
import { systemClock } from '../shared/clock';
import type { VisibilityChange, Wait } from '../shared/fifo-batch';
import { logger } from '../shared/logger';
import { newId } from '../shared/ids';
import { setting } from './config';
import { ledgerWiring } from './ledger';

/** The API's side of batches: the table and the command queue (set up on the first batch). */
export function batchService(dynamo: DynamoDBDocumentClient, ledger: LedgerService): BatchService {
  let queue: SqsCommandQueue | undefined;
  return new BatchService(
    new DynamoBatchStore(dynamo, setting('TABLE_NAME')),
    { send: (messages) => (queue ??= new SqsCommandQueue(sqsClient(), setting('BATCH_QUEUE_URL'))).send(messages) },
    systemClock,
    () => newId('bat'),
    async (tenantId, memberId) => {
      const { profile, balance } = await ledger.getMember(tenantId, memberId);
      return { statusCode: 200, body: memberView(profile, balance) };
    },
  );
}

/**
 * The command worker's composition: the ledger side only (ledger, offers, reward catalogue, audit trail, tenants),
 * all on the table, and its own queue's visibility (a retried command's wait). No KMS key, queue sender, throttling
 * or webhook services: its function is granted none.
 */
export function commandWorker(): {
  /** Applies a message's command; a platform failure is logged and answered with the wait before its next try. */
  apply: (body: string, receiveCount: number) => Promise<Wait | undefined>;
  changeVisibility: (changes: VisibilityChange[]) => Promise<void>;
} {
  const dynamo = documentClient();
  const tableName = setting('TABLE_NAME');
  const { ledger, store } = ledgerWiring(dynamo);
  const services: CommandServices = {
    ledger,
    offers: new DynamoOfferStore(dynamo, tableName),
    catalogue: new RewardCatalogue(new DynamoRewardStore(dynamo, tableName), store, systemClock, catalogueReplies),
    audit: new DynamoAuditTrail(dynamo, tableName),
    clock: systemClock,
    tenantStore: new DynamoTenantStore(dynamo, tableName),
  };
  const worker = new BatchCommandWorker(new DynamoBatchStore(dynamo, tableName), systemClock);
  const resolve = (tenantId: string, externalId: string) => store.findMemberIdByExternalId(tenantId, externalId);
  const sqs = sqsClient();
  const queueUrl = setting('BATCH_QUEUE_URL');
  return {
    apply: async (body, receiveCount) => {
      try {
        await worker.apply(JSON.parse(body) as CommandMessage, (m) => applyCommand(m, services, resolve));
        return undefined;
      } catch (error) {
        const waitSeconds = retryDelaySeconds(receiveCount);
        logger.warn('Command failed; retrying it after a wait', { receiveCount, waitSeconds, error: error as Error });
        return { waitSeconds };
      }
    },
    changeVisibility: (changes) => changeVisibility(sqs, queueUrl, changes),
  };
}
