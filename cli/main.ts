/**
 * `kreports` — the command line of SPEC §6. `bin/kreports.js` registers tsx and imports this file.
 *
 * Conventions: every command has `--help`; unknown flags and bad values are usage errors (exit 2, one
 * line on stderr); configuration errors exit 2 with one `<file>: <field>: <reason>` line each; failed
 * work exits 1; `--json` where the output is for machines.
 */
import { errorLines, exitCodeFor, EXIT_OK, EXIT_USAGE } from './errors.js';
import { processIo, type Io } from './runtime.js';
import type { Command } from './commands/types.js';
import { validateConfigCommand } from './commands/validate-config.js';
import { sendTestWebhookCommand } from './commands/send-test-webhook.js';
import { exportCommand } from './commands/export.js';
import { scheduleCommand } from './commands/schedule.js';
import { replayCommand } from './commands/replay.js';
import { setupWebhookCommand } from './commands/setup-webhook.js';
import { doctorCommand } from './commands/doctor.js';
import { startCommand } from './commands/start.js';

export const COMMANDS: ReadonlyArray<Command> = [
  startCommand,
  sendTestWebhookCommand,
  exportCommand,
  scheduleCommand,
  replayCommand,
  validateConfigCommand,
  setupWebhookCommand,
  doctorCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: kreports <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run kreports <command> --help for a command\'s options.',
    'Exit codes: 0 success, 1 the work failed, 2 usage or configuration error.',
  ].join('\n');
}

export async function main(argv: ReadonlyArray<string>, io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`kreports: unknown command '${name}'. Commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    for (const line of errorLines(error)) io.err(`kreports ${command.name}: ${line}`);
    if (process.env.KREPORTS_DEBUG && error instanceof Error) io.err(error.stack ?? '');
    return exitCodeFor(error);
  }
}

// Exit explicitly: keep-alive sockets must not hold a finished command open (stdout/stderr pipes are synchronous on Linux).
process.exit(await main(process.argv.slice(2)));
