/**
 * Loads the configuration for a deployment: the same validation as `kreports validate-config`
 * (loadConfigFile), plus what only AWS needs: every schedule's cron must be expressible in
 * EventBridge Scheduler, and exports must not land where the bucket expires archived notifications. Problems are ConfigError lines `<file>: <field path>: <reason>`.
 */
import { ConfigError } from '../shared/config/config-error.js';
import { loadConfigFile } from '../shared/config/load-config.js';
import type { ReportingConfig } from '../shared/config/schema.js';
import { formatPath } from '../shared/validation/format-issues.js';
import { CronConversionError, toEventBridgeCron } from './cron.js';
import { ARCHIVE_PREFIX } from './constructs/report-bucket.js';

export function deploymentProblems(config: ReportingConfig, file: string): string[] {
  const problems: string[] = [];
  if (config.output.prefix.startsWith(ARCHIVE_PREFIX)) {
    problems.push(`${file}: output.prefix: "${config.output.prefix}" is inside ${ARCHIVE_PREFIX}, where the bucket expires archived notifications; choose another prefix such as reports/`);
  }
  config.schedules.forEach((schedule, i) => {
    try {
      toEventBridgeCron(schedule.cron);
    } catch (error) {
      if (!(error instanceof CronConversionError)) throw error;
      problems.push(`${file}: ${formatPath(['schedules', i, 'cron'])}: ${error.message}`);
    }
  });
  return problems;
}

export async function loadDeployConfig(file: string): Promise<ReportingConfig> {
  const config = await loadConfigFile(file);
  const problems = deploymentProblems(config, file);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return config;
}
