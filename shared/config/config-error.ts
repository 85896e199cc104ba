import { ValidationError } from '../errors/base-error.js';

/** The configuration file cannot be used. `details` holds one `<file>: <field path>: <reason>` line per problem. */
export class ConfigError extends ValidationError {
  constructor(
    readonly file: string,
    details: ReadonlyArray<string>,
    options?: { cause?: unknown },
  ) {
    super(`Invalid configuration ${file}: ${details.length} problem(s). ${details[0] ?? ''}`.trim(), details, options);
  }
}
