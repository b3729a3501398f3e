// The shape of one CLI command. Each file in src/cli/commands exports one `Command`.
// Exit codes scripts can rely on: 0 success, 1 runtime failure, 2 bad usage (flags, missing files).

export interface Command {
  /** Words that select the command, e.g. ['data', 'stats'] for `ngame data stats`. */
  path: string[];
  summary: string;
  /** Full help text: usage line, flags, and at least one example. */
  help: string;
  run(argv: string[]): Promise<number>;
}

/** Thrown for bad usage; main prints the message (and the command's help unless `showHelp` is false), exits 2. */
export class UsageError extends Error {
  constructor(message: string, readonly showHelp = true) {
    super(message);
  }
}
