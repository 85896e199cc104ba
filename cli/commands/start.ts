import { parseCommandArgs } from '../args.js';
import { EXIT_OK } from '../errors.js';
import type { Command } from './types.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'run the whole pipeline locally (same as npm start)',
  help: `Usage: kreports start

Runs the receiver, the workers, the scheduler and (unless KALTURA_SERVICE_URL is set) the built-in
Kaltura simulator in this process, until Ctrl-C (SIGINT) or SIGTERM.

Environment (SPEC §3):
  PORT                      receiver port (default 3000; 0 = any free port, printed on start)
  DATA_DIR                  local state: bucket/, alerts.jsonl, queues/, dead-letters/ (default .data)
  REPORTING_CONFIG          configuration file (default: the example configuration)
  KALTURA_SERVICE_URL       Kaltura API v3 base URL; unset = built-in simulator
  KALTURA_PARTNER_ID, KALTURA_ADMIN_SECRET, KALTURA_APP_TOKEN_ID, KALTURA_APP_TOKEN, KALTURA_REPORTS_URL
  KALTURA_WEBHOOK_SECRETS   comma-separated secrets accepted on X-KALTURA-SIGNATURE (default: the admin secret)
  BUCKET_NAME               write exports to this S3 bucket instead of DATA_DIR/bucket
  STOP_GRACE_MS             on stop, how long to let running jobs finish (default 10000)
  SIMULATOR_PORT, SIMULATOR_BIG_ROWS, SIMULATOR_PAGE_DELAY_MS, SIMULATOR_MICROSERVICE_MS   simulator knobs

Options:
  -h, --help  show this help`,
  async run(args, io) {
    const { help } = parseCommandArgs('start', args, {});
    if (help) return io.out(this.help), EXIT_OK;
    // Handlers go in before start-up: a SIGTERM that lands between the banner and this point would
    // otherwise kill the process with the default action, skipping the graceful stop.
    let stopRequested: NodeJS.Signals | undefined;
    let requestStop: (signal: NodeJS.Signals) => void = () => undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopRequested) {
        io.err(`kreports start: ${signal} again, exiting now; unfinished jobs resume at the next start.`);
        process.exit(130);
      }
      stopRequested = signal;
      requestStop(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const { startLocalStack } = await import('../../local/start-local-stack.js');
      const stack = await startLocalStack({ env: io.env, cwd: io.cwd, out: io.out });
      await new Promise<void>((resolve) => {
        requestStop = (signal) => {
          io.out(`Stopping (${signal}): finishing running jobs, unfinished ones resume at the next start...`);
          stack.stop().then(resolve, (error) => {
            io.err(`kreports start: error while stopping: ${(error as Error).message}`);
            resolve();
          });
        };
        // A signal that came during start-up stops the stack as soon as it is up.
        if (stopRequested) requestStop(stopRequested);
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    io.out('Stopped.');
    return EXIT_OK;
  },
};
