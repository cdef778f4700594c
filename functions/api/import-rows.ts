import { createHash } from 'node:crypto';
import { outcomeOf } from '../domain/batches';
import type { ImportRowApplier } from '../domain/import-rows';
import { applyCommand, type CommandServices, type ExternalIdResolver } from './inbound-commands';

/**
 * Applies import rows. A `member` row enrols the member through the REST enrol operation (same validation, same
 * events), keyed by the row's content, so the same row applied again replays instead of enrolling twice.
 * Opening balances and history are not applied yet: such rows are refused with `unsupported_row_type`.
 */
export function importRowApplier(services: CommandServices, resolveExternalId: ExternalIdResolver): ImportRowApplier {
  return async (tenantId, row, source) => {
    const { type, ...body } = (typeof row === 'object' && row !== null ? row : {}) as Record<string, unknown>;
    if (type !== 'member')
      return {
        outcome: 'rejected',
        code: 'unsupported_row_type',
        message: `Rows of type ${String(type)} are not supported`,
      };
    const idempotencyKey = `import-${createHash('sha256')
      .update(JSON.stringify([tenantId, row]))
      .digest('hex')}`;
    const { reply, memberId } = await applyCommand(
      {
        tenantId,
        batchId: source.importId,
        index: source.line,
        principal: { credentialId: `import:${source.importId}`, scopes: ['members:write'] },
        command: { type: 'enrol', idempotencyKey, body },
      },
      services,
      resolveExternalId,
    );
    const outcome = outcomeOf(reply);
    // The platform's failure (5xx, throttling, contention): the job tries the row again.
    if (outcome === 'retry') throw new Error(`Import row at line ${source.line} failed with ${reply.statusCode}`);
    if (outcome === 'failed') {
      const problem = reply.body as { code?: string; detail?: string; title?: string } | null;
      return {
        outcome: 'rejected',
        code: problem?.code ?? 'rejected',
        message: problem?.detail ?? problem?.title ?? '',
      };
    }
    return { outcome: reply.replayed ? 'unchanged' : 'applied', memberId: memberId ?? '' };
  };
}
