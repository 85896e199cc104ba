/**
 * Logs of the local runtime: the same structured JSON lines as in Lambda, on stderr (stdout carries
 * the banner and command output). CloudWatch EMF metric lines mean nothing on a laptop, so they are
 * dropped unless KREPORTS_METRICS=1. LOG_LEVEL (debug, info, warn, error) as everywhere.
 */
import { createLogger, type Logger, type LogLevel } from '../shared/logging/logger.js';

function withMetrics(logger: Logger, keep: boolean): Logger {
  return {
    debug: logger.debug,
    info: logger.info,
    warn: logger.warn,
    error: logger.error,
    child: (fields) => withMetrics(logger.child(fields), keep),
    metric: keep ? logger.metric : () => undefined,
  };
}

export function createLocalLogger(env: NodeJS.ProcessEnv, service = 'kreports-local', defaultLevel: LogLevel = 'info'): Logger {
  const level = (['debug', 'info', 'warn', 'error'] as const).find((l) => l === env.LOG_LEVEL?.toLowerCase()) ?? defaultLevel;
  return withMetrics(createLogger({ service, level, write: (line) => process.stderr.write(line + '\n') }), env.KREPORTS_METRICS === '1');
}

/** For one-shot CLI commands: silent unless LOG_LEVEL is set (the command prints its own one-line results). */
export function createCommandLogger(env: NodeJS.ProcessEnv, service = 'kreports'): Logger {
  if (env.LOG_LEVEL) return createLocalLogger(env, service);
  const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent, metric: () => undefined };
  return silent;
}
