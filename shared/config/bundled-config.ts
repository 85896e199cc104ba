/**
 * The configuration as a Lambda reads it: the JSON file the CDK stack bundled beside the code
 * (`REPORTING_CONFIG_PATH`), already validated in full (cross-field checks included) by
 * `validateConfig` at `cdk synth`. Here it is only parsed with the schema (which also fills in the
 * defaults), without `load-config.ts`, whose YAML parser (~110 KB) a Lambda never needs.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ReportingConfigSchema, type ReportingConfig } from './schema.js';
import { formatIssues } from '../validation/format-issues.js';
import { ValidationError } from '../errors/base-error.js';
import { deepFreeze } from './deep-freeze.js';

export async function readBundledConfig(path: string): Promise<ReportingConfig> {
  const file = isAbsolute(path) ? path : resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), path);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new ValidationError(`The bundled configuration ${file} cannot be read as JSON (${(cause as Error).message.split('\n')[0]}); redeploy the stack (npm run deploy).`, [], { cause });
  }
  const parsed = ReportingConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const details = formatIssues(file, parsed.error.issues);
    throw new ValidationError(`The bundled configuration is invalid: ${details.join('; ')}. Validate it with kreports validate-config and redeploy.`, details);
  }
  return deepFreeze(parsed.data);
}
