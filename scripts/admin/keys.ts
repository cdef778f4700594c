import { parseArgs } from 'node:util';
import { UsageError } from './client';
import type { CommandGroup } from './command';

/** `npm run admin -- keys <command>`: a tenant's API keys through the admin API (onboarding's first key, or more). */
export const keyCommands: CommandGroup = {
  create: {
    usage: 'keys create <tenant id> --name <key name> --scopes <scope,scope,…> [--expires-at <ISO instant>]',
    /** The answer holds the key itself (`apiKey`), shown this once: only its hash is stored. */
    run(args, client) {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { name: { type: 'string' }, scopes: { type: 'string' }, 'expires-at': { type: 'string' } },
      });
      const [tenantId] = positionals;
      if (!tenantId || !values.name || !values.scopes) {
        throw new UsageError('keys create needs a tenant id, --name and --scopes');
      }
      return client.call('POST', `/admin/tenants/${encodeURIComponent(tenantId)}/api-keys`, {
        name: values.name,
        scopes: values.scopes.split(',').map((scope) => scope.trim()),
        ...(values['expires-at'] ? { expiresAt: values['expires-at'] } : {}),
      });
    },
  },
};
