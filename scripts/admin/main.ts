import { adminClient, ApiError, UsageError } from './client';
import type { CommandGroup } from './command';
import { tenantCommands } from './tenants';
import { keyCommands } from './keys';
import { backfillCommands } from './backfills';
import { maintenanceCommands } from './maintenance';
import { inboundQueueCommands } from './inbound-queues';
import { bootstrap, BOOTSTRAP_USAGE } from './bootstrap';

/**
 * `npm run admin -- [--url <base url>] <group> <command> [arguments]`: the platform team's CLI over the admin API,
 * for the twin and a deployed stage alike. The base URL comes from `--url` or LOYALTY_API_URL; the operator key only
 * from LOYALTY_OPERATOR_KEY, never from a flag, so it stays out of shell history and process listings. Results go to
 * stdout as JSON; a refusal's title and detail go to stderr with exit code 1 (2 for a usage mistake).
 *
 * A new group is one module exporting a `CommandGroup`, added to GROUPS.
 */
const GROUPS: Record<string, CommandGroup> = {
  tenants: tenantCommands,
  keys: keyCommands,
  backfills: backfillCommands,
  maintenance: maintenanceCommands,
  'inbound-queues': inboundQueueCommands,
};

function usage(): string {
  const lines = Object.values(GROUPS).flatMap((group) => Object.values(group).map((command) => `  ${command.usage}`));
  return [
    'Usage: npm run -s admin -- [--url <API base URL>] <group> <command> [arguments]',
    '',
    'Environment: LOYALTY_API_URL (unless --url), LOYALTY_OPERATOR_KEY (the operator API key; required)',
    '',
    'Commands:',
    `  ${BOOTSTRAP_USAGE}`,
    ...lines,
  ].join('\n');
}

/** Splits the global options (before the group) from the command line. */
function globalOptions(argv: string[]): { url?: string; help: boolean; rest: string[] } {
  let url: string | undefined;
  let help = false;
  let index = 0;
  for (; index < argv.length; index++) {
    const arg = argv[index] ?? '';
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--url') url = argv[++index];
    else if (arg.startsWith('--url=')) url = arg.slice('--url='.length);
    else break;
  }
  return { ...(url !== undefined ? { url } : {}), help, rest: argv.slice(index) };
}

async function main(argv: string[]): Promise<number> {
  const { url, help, rest } = globalOptions(argv);
  const [groupName, commandName, ...args] = rest;
  if (help || !groupName) {
    console.log(usage());
    return help ? 0 : 2;
  }
  // The one command that talks to the table itself: there is no operator key to call the API with yet.
  if (groupName === 'bootstrap') return bootstrap(rest.slice(1));
  const command = GROUPS[groupName]?.[commandName ?? ''];
  if (!command) throw new UsageError(`unknown command '${rest.slice(0, 2).join(' ')}'\n\n${usage()}`);
  const baseUrl = url ?? process.env.LOYALTY_API_URL;
  if (!baseUrl) throw new UsageError('give the API base URL with --url or LOYALTY_API_URL');
  const operatorKey = process.env.LOYALTY_OPERATOR_KEY;
  if (!operatorKey) throw new UsageError('set LOYALTY_OPERATOR_KEY to an operator API key');
  const result = await command.run(args, adminClient(baseUrl, operatorKey));
  console.log(JSON.stringify(result, null, 2));
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`admin: ${error.message}`);
    process.exitCode = 2;
  } else if (error instanceof ApiError) {
    console.error(`admin: ${error.message}`);
    for (const issue of error.errors) console.error(`  ${issue.path}: ${issue.message}`);
    process.exitCode = 1;
  } else {
    console.error(`admin: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
