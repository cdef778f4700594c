/**
 * One command of `npm run admin -- <command> …`: its name (one or two words), a line of help, and what it does
 * with the arguments after its name. Secrets go alone to stdout; everything else to stderr.
 */
export interface AdminCommand {
  name: string;
  summary: string;
  usage: string;
  /** The process exit code: 0 done, 1 failed, 2 wrong usage. */
  run(args: string[]): Promise<number>;
}

/** A failure the command explains itself: its message on stderr and the exit code. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}
