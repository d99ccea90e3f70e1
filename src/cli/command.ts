/** A subcommand of the `vigil` program. */
export interface Command {
  readonly name: string;
  /** One line for `vigil --help`. */
  readonly summary: string;
  /** Full text for `vigil NAME --help`. */
  readonly help: string;
  /** Runs the command; resolves to the process exit status. */
  run(argv: readonly string[]): Promise<number>;
}

/** Exit statuses shared by every command (documented in docs/cli.md). */
export const EXIT = Object.freeze({
  ok: 0,
  /** Some input could not be read at all (the run still went on with the others). */
  inputFailed: 1,
  /** Bad command-line usage. */
  usage: 2,
  /** The output (file or pipe) could not be written. */
  outputFailed: 3,
  /** An internal error: a bug in Vigil. */
  internal: 70,
});

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
