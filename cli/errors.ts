/**
 * How the CLI maps failures to exit codes (SPEC §6): `0` success, `1` the work failed, `2` usage or
 * configuration error. Every error is printed as one readable line per problem on stderr.
 */
import { ValidationError } from '../shared/errors/base-error.js';

/** Wrong command line: unknown flag, missing argument, bad value. Exit code 2. */
export class UsageError extends ValidationError {}

/** The work itself failed (a job dead-lettered, Kaltura refused, the receiver answered non-200). Exit code 1. */
export class WorkFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkFailedError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function exitCodeFor(error: unknown): number {
  return error instanceof ValidationError ? EXIT_USAGE : EXIT_FAILED;
}

/** The lines to print for an error: ValidationError details (file: field: reason) one per line, else the message. */
export function errorLines(error: unknown): string[] {
  if (error instanceof ValidationError && error.details.length > 0 && !(error instanceof UsageError)) return [...error.details];
  if (error instanceof Error) return [error.message.split('\n')[0] ?? error.name];
  return [String(error)];
}
