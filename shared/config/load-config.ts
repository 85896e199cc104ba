/**
 * Loads and validates the configuration. Used by `npm start`, the CLI (`validate-config`), the CDK
 * app at synth time and (as pre-validated JSON bundled with the code) the Lambdas.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error.js';
import { ReportingConfigSchema, type ReportingConfig } from './schema.js';
import { formatIssues, formatPath } from '../validation/format-issues.js';
import { parseCron } from '../schedules/cron.js';
import { isValidTimeZone } from '../jobs/window.js';
import { deepFreeze } from './deep-freeze.js';

/** Parse configuration text (YAML is a superset of JSON; JSON files skip the YAML parser). */
export async function parseConfigText(text: string, file: string): Promise<ReportingConfig> {
  let raw: unknown;
  try {
    if (file.endsWith('.json')) raw = JSON.parse(text);
    else {
      const { parse } = await import('yaml');
      raw = parse(text);
    }
  } catch (cause) {
    throw new ConfigError(file, [`${file}: (root): not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(cause as Error).message.split('\n')[0]}`], { cause });
  }
  return validateConfig(raw, file);
}

export async function loadConfigFile(file: string): Promise<ReportingConfig> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(file, [`${file}: (root): cannot read the file (${(cause as NodeJS.ErrnoException).code ?? 'error'})`], { cause });
  }
  return parseConfigText(text, file);
}

/** Schema validation followed by the cross-field checks zod cannot express. */
export function validateConfig(raw: unknown, file: string): ReportingConfig {
  const parsed = ReportingConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(file, formatIssues(file, parsed.error.issues));
  const config = parsed.data;
  const problems = crossCheck(config).map(([path, reason]) => `${file}: ${formatPath(path)}: ${reason}`);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return deepFreeze(config);
}


type Problem = [path: Array<string | number>, reason: string];

function crossCheck(config: ReportingConfig): Problem[] {
  const problems: Problem[] = [];
  if (!isValidTimeZone(config.kaltura.timezone)) problems.push([['kaltura', 'timezone'], `unknown IANA timezone "${config.kaltura.timezone}"`]);

  const destinationNames = new Set(Object.keys(config.destinations));
  const checkJobs = (jobs: ReportingConfig['rules'][number]['jobs'], base: Array<string | number>) => {
    const seen = new Set<string>();
    jobs.forEach((job, i) => {
      if (seen.has(job.name)) problems.push([[...base, i, 'name'], `duplicate job name "${job.name}" in the same rule or schedule`]);
      seen.add(job.name);
      if (job.kind === 'export' && job.source.type === 'csv-url' && job.csv?.formulaGuard === false) {
        problems.push([[...base, i, 'csv', 'formulaGuard'], 'a csv-url file is written by Kaltura, which neutralises formula cells itself (numbers too); for raw values use a table or string-params source']);
      }
      if (job.kind === 'check' || job.kind === 'live-health') {
        job.destinations.forEach((d, j) => {
          if (!destinationNames.has(d)) problems.push([[...base, i, 'destinations', j], `unknown destination "${d}"; defined: ${[...destinationNames].join(', ') || 'none'}`]);
        });
      }
      // Kaltura drops filter fields it does not know without an error (WIRE_FACTS §0.1): a child-partner
      // filter would silently return the parent's aggregate under a child's key.
      const filter = job.kind === 'check' ? job.filter : job.kind === 'export' && 'filter' in job.source ? job.source.filter : undefined;
      if (filter && 'partnerIdIn' in filter) {
        problems.push([[...base, i, ...(job.kind === 'check' ? [] : ['source']), 'filter', 'partnerIdIn'], 'partnerIdIn is not a report filter field (Kaltura ignores it and would return the parent account\'s aggregate); for one file per child account set scope: child-partner and list the child partner ids as the schedule\'s subjects (docs/exports.md, "Multi-account")']);
      }
      if (job.kind === 'export' && job.source.type === 'summary') {
        job.source.destinations?.forEach((d, j) => {
          if (!destinationNames.has(d)) problems.push([[...base, i, 'source', 'destinations', j], `unknown destination "${d}"; defined: ${[...destinationNames].join(', ') || 'none'}`]);
        });
      }
    });
  };

  const ruleNames = new Set<string>();
  config.rules.forEach((rule, i) => {
    if (ruleNames.has(rule.name)) problems.push([['rules', i, 'name'], `duplicate rule name "${rule.name}"`]);
    ruleNames.add(rule.name);
    checkJobs(rule.jobs, ['rules', i, 'jobs']);
  });

  const scheduleNames = new Set<string>();
  config.schedules.forEach((schedule, i) => {
    if (scheduleNames.has(schedule.name) || ruleNames.has(schedule.name)) problems.push([['schedules', i, 'name'], `duplicate name "${schedule.name}" (rule and schedule names share one namespace: they name S3 key folders)`]);
    scheduleNames.add(schedule.name);
    if (!isValidTimeZone(schedule.timezone)) problems.push([['schedules', i, 'timezone'], `unknown IANA timezone "${schedule.timezone}"`]);
    try {
      parseCron(schedule.cron);
    } catch (error) {
      problems.push([['schedules', i, 'cron'], `invalid cron expression: ${(error as Error).message}`]);
    }
    schedule.jobs.forEach((job, j) => {
      if (job.kind === 'live-health') problems.push([['schedules', i, 'jobs', j, 'kind'], 'live-health jobs start from a live-stream notification, not from a schedule']);
    });
    checkJobs(schedule.jobs, ['schedules', i, 'jobs']);
  });
  return problems;
}
