import { parseArgs } from 'node:util';
import { UsageError } from './client';
import type { CommandGroup } from './command';

/** `npm run admin -- backfills <command>`: re-send a tenant's events to its lake (a late loader, lost files). */
export const backfillCommands: CommandGroup = {
  create: {
    usage:
      'backfills create <tenant id> --from <ISO instant> --to <ISO instant> [--rate <events per second>] ' +
      '[--targets lake,feed]',
    /** Queues the backfill; the answer is its record (the tenant's `GET /v1/backfills/{id}` shows its progress). */
    run(args, client) {
      let parsed;
      try {
        parsed = parseArgs({
          args,
          allowPositionals: true,
          strict: true,
          options: {
            from: { type: 'string' },
            to: { type: 'string' },
            rate: { type: 'string' },
            targets: { type: 'string' },
          },
        });
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const { values, positionals } = parsed;
      const [tenantId] = positionals;
      if (!tenantId || !values.from || !values.to)
        throw new UsageError('backfills create needs a tenant id, --from and --to');
      if (values.rate !== undefined && !/^\d+$/.test(values.rate)) {
        throw new UsageError(`--rate must be a whole number, not '${values.rate}'`);
      }
      return client.call('POST', `/admin/tenants/${encodeURIComponent(tenantId)}/backfills`, {
        from: values.from,
        to: values.to,
        targets: (values.targets ?? 'lake').split(',').map((target) => target.trim()),
        ...(values.rate !== undefined ? { ratePerSecond: Number(values.rate) } : {}),
      });
    },
  },
};
