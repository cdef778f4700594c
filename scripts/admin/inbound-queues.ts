import { parseArgs } from 'node:util';
import { UsageError } from './client';
import type { CommandGroup } from './command';

/**
 * `npm run admin -- inbound-queues <command>`: a tenant's inbound queue, the SQS FIFO queue its own AWS account
 * sends batch requests to (docs/decisions/0015-inbound-queues.md).
 */

function parse(args: string[], options: Record<string, { type: 'string' }> = {}) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const path = (tenantId: string) => `/admin/tenants/${encodeURIComponent(tenantId)}/inbound-queue`;

function tenantOf(positionals: string[], command: string): string {
  const [tenantId, ...extra] = positionals;
  if (!tenantId || extra.length > 0) throw new UsageError(`inbound-queues ${command} needs exactly a tenant id`);
  return tenantId;
}

export const inboundQueueCommands: CommandGroup = {
  create: {
    usage:
      'inbound-queues create <tenant id> --account <12-digit AWS account id> [--scopes members:write,points:write]',
    /** Creates the queue (or answers the one the tenant has with this account and scopes): its URL for the producer. */
    run(args, client) {
      const { values, positionals } = parse(args, { account: { type: 'string' }, scopes: { type: 'string' } });
      const tenantId = tenantOf(positionals, 'create');
      if (!values.account) throw new UsageError('inbound-queues create needs --account <AWS account id>');
      return client.call('PUT', path(tenantId), {
        accountId: values.account,
        ...(values.scopes !== undefined ? { scopes: values.scopes.split(',').map((scope) => scope.trim()) } : {}),
      });
    },
  },
  show: {
    usage: 'inbound-queues show <tenant id>',
    /** The queue: URL, account, scopes, and the messages it refused (not batch requests). */
    run(args, client) {
      return client.call('GET', path(tenantOf(parse(args).positionals, 'show')));
    },
  },
  remove: {
    usage: 'inbound-queues remove <tenant id>',
    /** Removes the mapping, queue, DLQ and registration; removing what is not there changes nothing. */
    async run(args, client) {
      const tenantId = tenantOf(parse(args).positionals, 'remove');
      await client.call('DELETE', path(tenantId));
      return { tenantId, removed: true };
    },
  },
};
