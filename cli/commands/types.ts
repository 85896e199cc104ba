import type { Io } from '../runtime.js';

export interface Command {
  readonly name: string;
  /** One line for `kreports --help`. */
  readonly summary: string;
  /** Full `--help` text. */
  readonly help: string;
  /** Resolves with the exit code; throws UsageError (2), ValidationError (2) or anything else (1). */
  run(args: ReadonlyArray<string>, io: Io): Promise<number>;
}
