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
