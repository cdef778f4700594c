import type { AdminClient } from './client';

/** One command of a group (`tenants create`): its usage line and what it does; what it returns is printed as JSON. */
export interface Command {
  usage: string;
  run(args: string[], client: AdminClient): Promise<unknown>;
}

/** A group of commands (`tenants`, later `keys`, ...): one module each, registered in `main.ts`. */
export type CommandGroup = Record<string, Command>;
