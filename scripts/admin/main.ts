import { bootstrap } from './bootstrap';
import { CommandFailure, type AdminCommand } from './command';
import { keysCreate } from './keys';

/**
 * `npm run admin -- <command> …`: the platform team's tool for a deployed stage or the twin, so nobody writes
 * code to onboard a customer. Each command is a module of its own, listed here.
 */
const COMMANDS: AdminCommand[] = [bootstrap, keysCreate];

function help(): string {
  const lines = COMMANDS.map((command) => `  ${command.name.padEnd(14)} ${command.summary}`);
  return `Usage: npm run -s admin -- <command> [options]   (<command> --help for its options)\n\n${lines.join('\n')}`;
}

async function main(argv: string[]): Promise<number> {
  const command = COMMANDS.find((candidate) => {
    const words = candidate.name.split(' ');
    return words.every((word, i) => argv[i] === word);
  });
  if (!command) {
    console.error(help());
    return argv.length === 0 || argv[0] === '--help' ? 0 : 2;
  }
  const args = argv.slice(command.name.split(' ').length);
  if (args.includes('--help')) {
    console.error(command.usage);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (error) {
    const failure = error instanceof CommandFailure ? error : null;
    const message = failure ? failure.message : `${(error as Error).name}: ${(error as Error).message}`;
    console.error(`admin ${command.name}: ${message}`);
    if (failure?.exitCode === 2) console.error(`\n${command.usage}`);
    return failure?.exitCode ?? 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
