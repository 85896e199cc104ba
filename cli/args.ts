/**
 * `node:util` parseArgs with the CLI's conventions: strict (unknown flags are usage errors, exit 2,
 * one line), `--help`/`-h` on every command, positional count checked.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed<O extends Options> {
  readonly values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? (O[K] extends { multiple: true } ? boolean[] : boolean) : O[K] extends { multiple: true } ? string[] : string };
  readonly positionals: string[];
  readonly help: boolean;
}

/**
 * `--order -count_plays` as `--order=-count_plays`: parseArgs refuses a value that starts with a dash
 * ("argument is ambiguous"), but a descending sort field or a negative number is what users write.
 * Only a string option followed by `-<not a dash>` that is no known short flag is joined.
 */
function joinDashValues(args: ReadonlyArray<string>, options: Options): string[] {
  const shortFlags = new Set(['h', ...Object.values(options).flatMap((o) => (o.short ? [o.short] : []))]);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.push(...args.slice(i)); // positionals from here on, untouched
      break;
    }
    const next = args[i + 1];
    const name = /^--([^=]+)$/.exec(arg)?.[1];
    // `-qh` is a cluster of short flags, `-count_plays` or `-5` a value: the first letter decides.
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-[^-]/.test(next) && !shortFlags.has(next.charAt(1))) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

export function parseCommandArgs<O extends Options>(command: string, args: ReadonlyArray<string>, options: O, positionals: { min?: number; max?: number; names?: string } = {}): Parsed<O> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: joinDashValues(args, options), options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: (positionals.max ?? 0) > 0 });
  } catch (error) {
    throw new UsageError(`${describeParseError(error)}. Run: kreports ${command} --help`);
  }
  const help = parsed.values.help === true;
  if (!help) {
    const count = parsed.positionals.length;
    if (count < (positionals.min ?? 0)) throw new UsageError(`missing ${positionals.names ?? 'argument'}. Run: kreports ${command} --help`);
    if (count > (positionals.max ?? 0)) throw new UsageError(`unexpected argument '${parsed.positionals[positionals.max ?? 0]}'. Run: kreports ${command} --help`);
  }
  return { values: parsed.values as Parsed<O>['values'], positionals: parsed.positionals, help };
}

function describeParseError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const quoted = /'([^']+)'/.exec(e.message ?? '')?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${quoted ?? ''}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return (e.message ?? 'invalid option value').split('\n')[0]!.replace(/\.$/, '');
    default:
      return (e.message ?? String(error)).split('\n')[0]!.replace(/\.$/, '');
  }
}

/** `--at 2026-11-23T06:00:00Z` and friends: a valid date or a usage error naming the flag. */
export function parseInstant(flag: string, value: string | undefined, fallback: Date): Date {
  if (value === undefined) return fallback;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`--${flag} must be an ISO 8601 time such as 2026-11-23T06:00:00Z (got '${value}')`);
  return new Date(ms);
}
