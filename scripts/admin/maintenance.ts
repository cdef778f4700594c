import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { UsageError } from './client';
import type { CommandGroup } from './command';

/** `npm run admin -- maintenance <command>`: platform maintenance windows and the notices tenants get of them. */

function parse(args: string[], options: Record<string, { type: 'string' }>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const windowPath = (id: string | undefined, command: string) => {
  if (!id) throw new UsageError(`maintenance ${command} needs a window id`);
  return `/admin/maintenance-windows/${encodeURIComponent(id)}`;
};

export const maintenanceCommands: CommandGroup = {
  schedule: {
    usage:
      'maintenance schedule --summary <text> --impact none|degraded|unavailable --starts <ISO instant> ' +
      '--ends <ISO instant> [--description <text>] [--lead-hours <n>] [--idempotency-key <key>]',
    /**
     * Schedules the window; tenants are told its lead time ahead (at once inside it). The answer prints the
     * Idempotency-Key used: run the command again with it after a timeout, and no second window is made.
     */
    async run(args, client) {
      const { values } = parse(args, {
        summary: { type: 'string' },
        description: { type: 'string' },
        impact: { type: 'string' },
        starts: { type: 'string' },
        ends: { type: 'string' },
        'lead-hours': { type: 'string' },
        'idempotency-key': { type: 'string' },
      });
      if (!values.summary || !values.impact || !values.starts || !values.ends) {
        throw new UsageError('maintenance schedule needs --summary, --impact, --starts and --ends');
      }
      const lead = values['lead-hours'];
      if (lead !== undefined && !/^\d+$/.test(lead)) {
        throw new UsageError(`--lead-hours must be a whole number, not '${lead}'`);
      }
      const idempotencyKey = values['idempotency-key'] ?? `maintenance-${randomUUID()}`;
      const body = {
        summary: values.summary,
        impact: values.impact,
        startsAt: values.starts,
        endsAt: values.ends,
        ...(values.description !== undefined ? { description: values.description } : {}),
        ...(lead !== undefined ? { noticeLeadHours: Number(lead) } : {}),
      };
      const window = await client.call('POST', '/admin/maintenance-windows', body, {
        'idempotency-key': idempotencyKey,
      });
      return { idempotencyKey, window };
    },
  },
  list: {
    usage: 'maintenance list [--limit <n>] [--cursor <cursor>]',
    run(args, client) {
      const { values } = parse(args, { limit: { type: 'string' }, cursor: { type: 'string' } });
      const query = new URLSearchParams({
        ...(values.limit !== undefined ? { limit: values.limit } : {}),
        ...(values.cursor !== undefined ? { cursor: values.cursor } : {}),
      }).toString();
      return client.call('GET', `/admin/maintenance-windows${query ? `?${query}` : ''}`);
    },
  },
  get: {
    usage: 'maintenance get <window id>',
    run: (args, client) => client.call('GET', windowPath(parse(args, {}).positionals[0], 'get')),
  },
  cancel: {
    usage: 'maintenance cancel <window id>',
    /** Tenants that were told get `platform.maintenance.cancelled`; before the notice, nobody hears of it. */
    run: (args, client) => client.call('POST', `${windowPath(parse(args, {}).positionals[0], 'cancel')}/cancel`, {}),
  },
};
