import { parseArgs } from 'node:util';
import { UsageError, type AdminClient } from './client';
import type { CommandGroup } from './command';

/** `npm run admin -- tenants <command>`: onboarding and running tenants through the admin API. */

type Options = Record<string, { type: 'string' } | { type: 'boolean' }>;
type Values = Record<string, string | boolean | undefined>;

const LIMIT_OPTIONS: Options = {
  rps: { type: 'string' },
  burst: { type: 'string' },
  'webhook-endpoints': { type: 'string' },
  'feed-consumers': { type: 'string' },
};
const LIMITS_USAGE = '[--rps <n>] [--burst <n>] [--webhook-endpoints <n>] [--feed-consumers <n>]';

/** Options and positionals of one command; an unknown option is a usage error. */
function parse(args: string[], options: Options): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values, positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const text = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};

function integer(values: Values, option: string): number | undefined {
  const value = text(values, option);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${option} must be a whole number, not '${value}'`);
  return Number(value);
}

/** The limits the options name (the API keeps the others), or undefined when none is given. */
function limitsOf(values: Values) {
  const limits = Object.fromEntries(
    Object.entries({
      requestsPerSecond: integer(values, 'rps'),
      burst: integer(values, 'burst'),
      webhookEndpoints: integer(values, 'webhook-endpoints'),
      feedConsumers: integer(values, 'feed-consumers'),
    }).filter(([, value]) => value !== undefined),
  );
  return Object.keys(limits).length > 0 ? limits : undefined;
}

/** The one tenant id a command names. */
function tenantIdOf(positionals: string[]): string {
  const [tenantId, ...rest] = positionals;
  if (!tenantId || rest.length > 0) throw new UsageError('name exactly one tenant id');
  return encodeURIComponent(tenantId);
}

export const tenantCommands: CommandGroup = {
  create: {
    usage: `tenants create --id <tenant id> --name <display name> ${LIMITS_USAGE}`,
    run: (args, client) => {
      const { values } = parse(args, { id: { type: 'string' }, name: { type: 'string' }, ...LIMIT_OPTIONS });
      if (!values.id || !values.name) throw new UsageError('--id and --name are required');
      const limits = limitsOf(values);
      return client.call('POST', '/admin/tenants', {
        tenantId: values.id,
        name: values.name,
        ...(limits && { limits }),
      });
    },
  },
  list: {
    usage: 'tenants list [--limit <n>] [--cursor <cursor>] [--all]',
    run: async (args, client) => {
      const { values } = parse(args, {
        limit: { type: 'string' },
        cursor: { type: 'string' },
        all: { type: 'boolean' },
      });
      const limit = integer(values, 'limit');
      const page = (cursor?: string) => {
        const query = new URLSearchParams({
          ...(limit !== undefined ? { limit: String(limit) } : {}),
          ...(cursor ? { cursor } : {}),
        }).toString();
        return client.call<{ items: unknown[]; nextCursor?: string }>(
          'GET',
          `/admin/tenants${query ? `?${query}` : ''}`,
        );
      };
      if (values.all !== true) return page(text(values, 'cursor'));
      const items: unknown[] = [];
      let cursor = text(values, 'cursor');
      do {
        const next = await page(cursor);
        items.push(...next.items);
        cursor = next.nextCursor;
      } while (cursor);
      return { items };
    },
  },
  get: {
    usage: 'tenants get <tenant id>',
    run: (args, client: AdminClient) => client.call('GET', `/admin/tenants/${tenantIdOf(parse(args, {}).positionals)}`),
  },
  update: {
    usage: `tenants update <tenant id> [--name <display name>] ${LIMITS_USAGE}`,
    run: (args, client) => {
      const { values, positionals } = parse(args, { name: { type: 'string' }, ...LIMIT_OPTIONS });
      const [name, limits] = [text(values, 'name'), limitsOf(values)];
      if (name === undefined && !limits) throw new UsageError('give --name or a limit to change');
      return client.call('PATCH', `/admin/tenants/${tenantIdOf(positionals)}`, {
        ...(name !== undefined && { name }),
        ...(limits && { limits }),
      });
    },
  },
  suspend: {
    usage: 'tenants suspend <tenant id> [--reason <text>]',
    run: (args, client) => {
      const { values, positionals } = parse(args, { reason: { type: 'string' } });
      const reason = text(values, 'reason');
      return client.call('POST', `/admin/tenants/${tenantIdOf(positionals)}/suspend`, {
        ...(reason !== undefined && { reason }),
      });
    },
  },
  reactivate: {
    usage: 'tenants reactivate <tenant id>',
    run: (args, client) =>
      client.call('POST', `/admin/tenants/${tenantIdOf(parse(args, {}).positionals)}/reactivate`, {}),
  },
};
