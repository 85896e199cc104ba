/**
 * A report check: one multirequest (getTotal + getGraphs + getTable, `getReportBundle`) for the job's
 * window in the partner's timezone, the metric picked by header name (from the totals, or summed over
 * the table rows), compared with the condition. `change` compares with the previous window of the
 * same length (a second multirequest).
 *
 * The result (value, threshold, verdict) is recorded in the StateStore under `check#<jobId>` so a
 * person (or `kreports`) can see what the last run saw, alert or not.
 */
import type { CheckJob, Comparison } from '../config/schema.js';
import type { JobMessage, JobWindow } from '../jobs/job-message.js';
import { scopeFilter, scopeObjectIds } from '../jobs/create-job-message.js';
import { kalturaTimeZoneOffset, previousWindow } from '../jobs/window.js';
import type { KalturaApi, ReportBundle, ReportInputFilter } from '../kaltura/kaltura-api.js';
import type { StateStore } from '../ports/state-store.js';
import { ReportingError } from '../errors/base-error.js';
import type { Observation } from '../alerts/alert-message.js';

export type CheckMessage = JobMessage & { readonly spec: CheckJob };

/** The check's configuration cannot work against this report (e.g. the metric is not a column). Permanent. */
export class CheckConfigError extends ReportingError {
  readonly retryable = false;
}

export type CheckVerdict = 'crossed' | 'ok' | 'no-data' | 'error';

export interface CheckResult {
  readonly jobId: string;
  readonly rule: string;
  readonly job: string;
  readonly subject: JobMessage['subject'];
  readonly window: JobWindow;
  readonly reportType: number | string;
  readonly metric: string;
  readonly from: 'total' | 'table';
  /** The metric for the window; undefined when there was no data and `onNoData: no-data`. */
  readonly value: number | undefined;
  /** For `change`: the metric over the previous window and the change in percent. */
  readonly previousValue?: number;
  readonly changePercent?: number;
  /** The condition as text, e.g. `< 1` or `change <= -50 %`. */
  readonly threshold: string;
  readonly verdict: CheckVerdict;
  /** Whether the report had data at all (before `onNoData`). */
  readonly hadData: boolean;
  readonly evaluatedAt: string;
  /** For `error`: why the check could not run. */
  readonly error?: string;
}

export function describeCondition(condition: Comparison): string {
  return condition.op === 'change' ? `change ${condition.percent < 0 ? '<=' : '>='} ${condition.percent} %` : `${condition.op} ${condition.value}`;
}

function round(n: number): number {
  return Number.isFinite(n) ? Math.round(n * 10_000) / 10_000 : n;
}

/** The report filter for a window: scope of the subject, the spec's filter, dates and timezone. */
export function checkFilter(message: CheckMessage, window: JobWindow): ReportInputFilter {
  const spec = message.spec;
  return {
    ...scopeFilter(message.subject),
    ...(spec.filter ?? {}),
    fromDate: window.from,
    toDate: window.to,
    timeZoneOffset: kalturaTimeZoneOffset(window),
    interval: 'days',
  };
}

interface MetricReading {
  readonly value: number | undefined;
}

async function readMetric(api: KalturaApi, message: CheckMessage, window: JobWindow): Promise<MetricReading> {
  const spec = message.spec;
  const from = spec.from ?? 'total';
  const objectIds = scopeObjectIds(message.subject);
  const request = { reportType: spec.reportType, filter: checkFilter(message, window), ...(objectIds ? { objectIds } : {}) };
  const bundle: ReportBundle = await api.getReportBundle({ ...request, pageSize: 500 });
  const reportName = `report ${spec.reportType}`;

  if (from === 'total') {
    if (!bundle.total.ok) throw bundle.total.error;
    const total = bundle.total.value;
    if (total.header.length === 0) return { value: undefined };
    if (!total.header.includes(spec.metric)) {
      throw new CheckConfigError(`Check ${message.rule}.${spec.name}: "${spec.metric}" is not a total of ${reportName} (totals: ${total.header.join(', ')}). Fix "metric" in the configuration.`);
    }
    const raw = total.values[spec.metric] ?? '';
    if (raw.trim() === '') return { value: undefined };
    const value = Number(raw);
    return { value: Number.isFinite(value) ? value : undefined };
  }

  if (!bundle.table.ok) throw bundle.table.error;
  const table = bundle.table.value;
  if (table.header.length === 0 || table.rows.length === 0) return { value: undefined };
  if (!table.header.includes(spec.metric)) {
    throw new CheckConfigError(`Check ${message.rule}.${spec.name}: "${spec.metric}" is not a column of ${reportName} (columns: ${table.header.join(', ')}). Fix "metric" in the configuration.`);
  }
  const cell = (v: string | undefined) => {
    const n = Number(v ?? '');
    return v !== undefined && v.trim() !== '' && Number.isFinite(n) ? n : 0;
  };
  if (table.totalCount > table.rows.length) {
    // More rows than the first page: sum every page (one page in memory at a time).
    let sum = 0;
    for await (const page of api.iterateTable({ ...request, pageSize: 500 })) {
      const index = page.header.indexOf(spec.metric);
      for (const row of page.rows) sum += cell(row[index]);
    }
    return { value: sum };
  }
  return { value: table.rows.reduce((sum, row) => sum + cell(row[spec.metric]), 0) };
}

function compare(condition: Exclude<Comparison, { op: 'change' }>, value: number): boolean {
  switch (condition.op) {
    case '<':
      return value < condition.value;
    case '<=':
      return value <= condition.value;
    case '>':
      return value > condition.value;
    case '>=':
      return value >= condition.value;
  }
}

/** Change in percent from `previous` to `current`; ±Infinity when growing from 0. */
export function changePercent(previous: number, current: number): number {
  if (previous === 0) return current === 0 ? 0 : current > 0 ? Infinity : -Infinity;
  return ((current - previous) / Math.abs(previous)) * 100;
}

/** What every result of this check says about itself, whatever the verdict. */
function resultBase(message: CheckMessage, now: Date) {
  const spec = message.spec;
  return {
    jobId: message.jobId,
    rule: message.rule,
    job: spec.name,
    subject: message.subject,
    window: message.window,
    reportType: spec.reportType,
    metric: spec.metric,
    from: spec.from ?? 'total',
    threshold: describeCondition(spec.condition),
    evaluatedAt: now.toISOString(),
  } as const;
}

export async function runCheck(api: KalturaApi, message: CheckMessage, now: Date): Promise<CheckResult> {
  const spec = message.spec;
  const onNoData = spec.onNoData ?? 'zero';
  const base = resultBase(message, now);

  const current = await readMetric(api, message, message.window);
  const hadData = current.value !== undefined;
  if (!hadData && onNoData === 'no-data') return { ...base, value: undefined, verdict: 'no-data', hadData };
  const value = current.value ?? 0;

  if (spec.condition.op !== 'change') {
    return { ...base, value: round(value), verdict: compare(spec.condition, value) ? 'crossed' : 'ok', hadData };
  }
  const previous = await readMetric(api, message, previousWindow(message.window));
  if (previous.value === undefined && onNoData === 'no-data') return { ...base, value: round(value), verdict: 'no-data', hadData: false };
  const previousValue = previous.value ?? 0;
  const pct = changePercent(previousValue, value);
  const crossed = spec.condition.percent < 0 ? pct <= spec.condition.percent : pct >= spec.condition.percent;
  return { ...base, value: round(value), previousValue: round(previousValue), changePercent: round(pct), verdict: crossed ? 'crossed' : 'ok', hadData };
}

/** The check result in the alert engine's terms. */
export function checkObservation(result: CheckResult): Observation {
  const common = { metric: result.metric, condition: result.threshold, window: result.window };
  const facts = [
    { label: 'Report', value: `${result.reportType} (${result.from === 'total' ? 'totals' : 'sum of table rows'})` },
    ...(result.previousValue !== undefined ? [{ label: 'Previous period', value: String(result.previousValue) }] : []),
  ];
  switch (result.verdict) {
    case 'error':
      return { ...common, status: 'error', description: `The check could not run: ${result.error ?? 'unknown error'}`, facts };
    case 'no-data':
      return { ...common, status: 'no-data', description: `${result.metric}: the report returned no data for the window (onNoData: no-data).`, facts };
    default: {
      const met = result.verdict === 'crossed';
      const what =
        result.changePercent !== undefined
          ? `${result.metric} changed by ${Number.isFinite(result.changePercent) ? `${result.changePercent} %` : 'an infinite percentage (from 0)'} versus the previous period (${result.previousValue} → ${result.value})`
          : `${result.metric} is ${result.value}${result.hadData ? '' : ' (no data, counted as 0)'}`;
      return {
        ...common,
        status: met ? 'firing' : 'ok',
        ...(result.value !== undefined ? { value: result.value } : {}),
        description: `${what}; condition ${result.threshold} is ${met ? 'met' : 'not met'}.`,
        facts,
      };
    }
  }
}

export function checkResultKey(jobId: string): string {
  return `check#${jobId}`;
}

/** Records the latest result of a check run (last write wins; a few tries against races). */
export async function recordCheckResult(store: StateStore, result: CheckResult): Promise<void> {
  const key = checkResultKey(result.jobId);
  for (let i = 0; i < 5; i++) {
    const current = await store.get<CheckResult>(key);
    if (await store.put(key, result, current?.version)) return;
  }
}

/** The result recorded when the check could not run at all (permanent Kaltura or configuration error). */
export function errorCheckResult(message: CheckMessage, now: Date, reason: string): CheckResult {
  return { ...resultBase(message, now), value: undefined, verdict: 'error', hadData: false, error: reason };
}
