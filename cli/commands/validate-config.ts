import { parseCommandArgs } from '../args.js';
import { configPath, displayPath, loadConfiguration } from '../runtime.js';
import { EXIT_OK, EXIT_USAGE } from '../errors.js';
import type { Command } from './types.js';

const options = { json: { type: 'boolean' } } as const;

export const validateConfigCommand: Command = {
  name: 'validate-config',
  summary: 'validate a configuration file (errors name file, field and reason)',
  help: `Usage: kreports validate-config [FILE] [--json]

Validates a reporting configuration (YAML or JSON). Without FILE, validates $REPORTING_CONFIG,
else the example configuration shipped with the project.

Each problem is printed on stderr as one line: <file>: <field path>: <reason>.

Options:
  --json      print the result as JSON on stdout
  -h, --help  show this help

Exit codes: 0 valid, 2 invalid or unreadable.`,
  async run(args, io) {
    const { values, positionals, help } = parseCommandArgs('validate-config', args, options, { max: 1, names: 'FILE' });
    if (help) return io.out(this.help), EXIT_OK;
    const file = positionals[0];
    const { ConfigError } = await import('../../shared/config/config-error.js');
    try {
      const { config, path } = await loadConfiguration(io.env, io.cwd, file);
      const summary = { ok: true, file: displayPath(path, io.cwd), rules: config.rules.length, schedules: config.schedules.length, destinations: Object.keys(config.destinations).length };
      if (values.json) io.out(JSON.stringify(summary));
      else io.out(`${summary.file}: valid (${summary.rules} rule(s), ${summary.schedules} schedule(s), ${summary.destinations} destination(s))`);
      return EXIT_OK;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      if (values.json) io.out(JSON.stringify({ ok: false, file: displayPath(configPath(io.env, io.cwd, file), io.cwd), problems: error.details }));
      for (const line of error.details) io.err(line);
      return EXIT_USAGE;
    }
  },
};
