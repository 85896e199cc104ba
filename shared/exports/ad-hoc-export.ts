/**
 * An export asked for on the command line (`kreports export --report-type 1 --window previous-week
 * --entry 1_abc --filter countryIn=US`), as a job message like any other: same window rules, same
 * deterministic keys (rule `adhoc`, job name given or `export`).
 */
import type { CsvOptions, ExportSource, Scope, WindowSpec } from '../config/schema.js';
import type { JobMessage } from '../jobs/job-message.js';
import { createJobMessage } from '../jobs/create-job-message.js';

export const AD_HOC_RULE = 'adhoc';

export function adHocExportMessage(input: {
  source: ExportSource;
  window: WindowSpec;
  timezone: string;
  partnerId: number;
  at?: Date;
  /** Job name (S3 key folder); default `export`. Lowercase letters, digits and dashes. */
  name?: string;
  scope?: Scope;
  /** Subject id (entry id, category id...) for non-partner scopes. */
  subjectId?: string;
  /** CSV options (formula guard); default: the guard on. */
  csv?: CsvOptions;
}): JobMessage {
  const at = input.at ?? new Date();
  const scope = input.scope ?? (input.subjectId ? 'entry' : 'partner');
  return createJobMessage(
    { kind: 'export', name: input.name ?? 'export', scope, window: input.window, source: input.source, ...(input.csv ? { csv: input.csv } : {}) },
    {
      rule: AD_HOC_RULE,
      trigger: { type: 'manual', requestedAt: at.toISOString() },
      at,
      timezone: input.timezone,
      partnerId: input.partnerId,
      defaultWindow: input.window,
      defaultScope: scope,
      ...(input.subjectId ? { subjectId: input.subjectId } : {}),
    },
  );
}
