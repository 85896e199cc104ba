/**
 * The CLI's argument parsing: a value that starts with a dash (`--order -count_plays`, a negative
 * number) is taken as the option's value, while short flags and everything after `--` are left alone.
 */
import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../cli/args.js';
import { UsageError } from '../../cli/errors.js';

const options = { order: { type: 'string' }, quiet: { type: 'boolean', short: 'q' }, json: { type: 'boolean' } } as const;

describe('parseCommandArgs', () => {
  it('takes a dash-led value for a string option, as users write sort fields and negative numbers', () => {
    expect(parseCommandArgs('export', ['--order', '-count_plays'], options).values.order).toBe('-count_plays');
    expect(parseCommandArgs('export', ['--order', '-5', '--json'], options).values).toEqual({ order: '-5', json: true });
  });

  it('leaves short flags and long options alone', () => {
    // Prepare / Act
    const cluster = () => parseCommandArgs('export', ['--order', '-qh'], options);
    const missing = () => parseCommandArgs('export', ['--order', '--json'], options);
    // Assess: parseArgs refuses both as before ("ambiguous": a value that looks like flags)
    expect(cluster).toThrow(UsageError);
    expect(missing).toThrow(UsageError);
    expect(parseCommandArgs('export', ['--json', '-q'], options).values).toEqual({ json: true, quiet: true });
  });

  it('does not touch positionals after --', () => {
    const parsed = parseCommandArgs('export', ['NAME', '--', '--order', '-x'], options, { max: 3 });
    expect(parsed.positionals).toEqual(['NAME', '--order', '-x']);
    expect(parsed.values.order).toBeUndefined();
  });
});
