/**
 * The weekly summary a person reads (docs/exports.md, "Weekly summary"): an export job with
 * `source.type: summary` that writes, beside the run's other CSVs,
 *
 *   <prefix><schedule>/<job>/<subject>/<period>.csv            the numbers (long format)
 *   <prefix><schedule>/<job>/<subject>/<period>.summary.html   the page (inline SVG, no external resource)
 *   <prefix><schedule>/<job>/<subject>/<period>.manifest.json
 *
 * and sends the headline (each metric, its change, the top entry, the page's key) to the
 * destinations the job names. The page and the message are rendered from the very rows written to
 * the CSV, so their numbers are the CSV's.
 *
 * Kaltura calls: one multirequest for the window (getTotal, getGraphs by day, getTable of the top
 * entries ordered by `topBy`) and one getTotal for the previous period of the same length.
 * The notification is best effort: the files are the result; a destination that fails is logged
 * (and reported to the operator by the alert engine's destination wiring) but does not fail the job.
 */
import type { ExportSource } from '../config/schema.js';
import type { JobMessage, JobWindow } from '../jobs/job-message.js';
import type { KalturaApi, ReportTable, ReportTotal, ReportGraph } from '../kaltura/kaltura-api.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { Logger } from '../logging/logger.js';
import { ReportingError } from '../errors/base-error.js';
import { localDay } from '../jobs/window.js';
import { scopeObjectIds } from '../jobs/create-job-message.js';
import { describeWindow, type AlertMessage } from '../alerts/alert-message.js';
import { csvLine } from './csv-writer.js';
import { reportFilterFor } from './export-sources.js';
import { outputKeys } from './output-keys.js';
import { buildManifest, CSV_CONTENT_TYPE, MANIFEST_CONTENT_TYPE, type ExportManifest } from './manifest.js';
import { renderSummaryHtml } from './summary-html.js';

export type SummarySource = Extract<ExportSource, { type: 'summary' }>;
export type SummaryMessage = JobMessage & { spec: { kind: 'export'; source: SummarySource } };

export const DEFAULT_SUMMARY_METRICS = ['count_plays', 'sum_time_viewed', 'unique_known_users'] as const;
export const SUMMARY_CSV_HEADER = ['section', 'id', 'name', 'metric', 'value', 'previous_value', 'change_percent'] as const;
export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

export interface SummaryTotal {
  readonly metric: string;
  /** Exactly as written to the CSV (Kaltura's text; `0` where Kaltura sent an empty value). */
  readonly value: string;
  readonly previous: string;
  /** One decimal, `''` when the previous value is 0. */
  readonly changePercent: string;
}

export interface SummaryData {
  readonly title: string;
  readonly rule: string;
  readonly job: string;
  readonly reportType: string;
  readonly window: JobWindow;
  readonly previousWindow: { readonly from: number; readonly to: number };
  readonly topBy: string;
  readonly totals: ReadonlyArray<SummaryTotal>;
  readonly daily: ReadonlyArray<{ readonly day: string; readonly value: string }>;
  readonly top: ReadonlyArray<{ readonly id: string; readonly name: string; readonly value: string }>;
  readonly generatedAt: string;
}

/** A report call of the summary failed; the job is retried (the error says which call). */
export class SummaryReportError extends ReportingError {
  /** As the Kaltura failure it wraps: a permanent one (no permission, bad report type) is not retried. */
  readonly retryable: boolean;
  constructor(what: string, cause: Error) {
    const retryable = !(cause instanceof ReportingError) || cause.retryable;
    super(`Summary: ${what} failed (${cause.message})${retryable ? '; the job will be retried' : ''}.`, { cause });
    this.retryable = retryable;
  }
}

function numberText(value: string | undefined): string {
  const v = (value ?? '').trim();
  return v === '' || !Number.isFinite(Number(v)) ? '0' : v;
}

/** `(value - previous) / previous` in percent, one decimal; `''` when there is no previous value. */
export function changePercent(value: string, previous: string): string {
  const v = Number(value);
  const p = Number(previous);
  if (!Number.isFinite(v) || !Number.isFinite(p) || p === 0) return '';
  const pct = Math.round(((v - p) / p) * 1000) / 10;
  return (Object.is(pct, -0) ? 0 : pct).toFixed(1);
}

/** The days of the window (`YYYYMMDD`, the report's graph labels) in its timezone. */
export function windowDays(window: JobWindow): string[] {
  const days: string[] = [];
  // Noon of each day: a daylight-saving change never skips or repeats a day.
  for (let t = window.from * 1000 + 12 * 3_600_000; t < window.to * 1000 && days.length < 400; t += 86_400_000) {
    const day = localDay(t, window.timezone).replace(/-/g, '');
    if (days[days.length - 1] !== day) days.push(day);
  }
  return days;
}

function settled<T>(result: { ok: true; value: T } | { ok: false; error: Error }, what: string): T {
  if (!result.ok) throw new SummaryReportError(what, result.error);
  return result.value;
}

/** Reads the numbers from Kaltura. */
export async function collectSummary(api: KalturaApi, message: SummaryMessage, now: Date): Promise<SummaryData> {
  const source = message.spec.source;
  const reportType = source.reportType ?? 38;
  const metrics = source.metrics ?? [...DEFAULT_SUMMARY_METRICS];
  const topBy = source.topBy ?? metrics[0] ?? 'count_plays';
  const top = source.top ?? 10;
  const window = message.window;
  const length = window.to - window.from;
  const previousWindow = { from: window.from - length, to: window.from };
  const filter = reportFilterFor(window, message.subject, source.filter);
  const previousFilter = { ...filter, fromDate: previousWindow.from, toDate: previousWindow.to };

  // A child-partner subject scopes partner-level reports through objectIds, as exports and checks do.
  const objectIds = scopeObjectIds(message.subject);
  const scoped = objectIds ? { objectIds } : {};
  const [bundle, previousTotal] = await Promise.all([
    api.getReportBundle({ reportType, filter: { ...filter, interval: 'days' }, order: `-${topBy}`, pageSize: top, ...scoped }),
    api.getTotal({ reportType, filter: previousFilter, ...scoped }).catch((error: unknown) => {
      throw new SummaryReportError(`report ${reportType} getTotal for the previous period`, error instanceof Error ? error : new Error(String(error)));
    }),
  ]);
  const total: ReportTotal = settled(bundle.total, `report ${reportType} getTotal`);
  const graphs: ReadonlyArray<ReportGraph> = settled(bundle.graphs, `report ${reportType} getGraphs`);
  const table: ReportTable = settled(bundle.table, `report ${reportType} getTable`);

  const totals = metrics.map((metric) => {
    const value = numberText(total.values[metric]);
    const previous = numberText(previousTotal.values[metric]);
    return { metric, value, previous, changePercent: changePercent(value, previous) };
  });
  const graph = graphs.find((g) => g.id === topBy);
  const byDay = new Map((graph?.points ?? []).map((p) => [p.label, numberText(p.value)]));
  // skipEmptyDates drops days without data (WIRE_FACTS §1.4): those are 0.
  const daily = windowDays(window).map((day) => ({ day, value: byDay.get(day) ?? '0' }));
  const idColumn = table.header.includes('object_id') ? 'object_id' : (table.header[0] ?? 'object_id');
  const nameColumn = source.nameColumn ?? 'entry_name';
  const topRows = table.rows.slice(0, top).map((row) => ({ id: row[idColumn] ?? '', name: row[nameColumn] ?? '', value: numberText(row[topBy]) }));
  return {
    title: source.title ?? `${message.rule} summary`,
    rule: message.rule,
    job: message.spec.name,
    reportType: String(reportType),
    window,
    previousWindow,
    topBy,
    totals,
    daily,
    top: topRows,
    generatedAt: now.toISOString(),
  };
}

/** The CSV: one `total` row per metric, one `daily` row per day, one `top` row per entry. */
/** The numbers as CSV; `guard`: the formula guard (entry names come from end users; numbers are left alone). */
export function summaryCsv(data: SummaryData, guard = true): string {
  let out = csvLine(SUMMARY_CSV_HEADER, guard);
  for (const t of data.totals) out += csvLine(['total', '', '', t.metric, t.value, t.previous, t.changePercent], guard);
  for (const d of data.daily) out += csvLine(['daily', d.day, '', data.topBy, d.value, '', ''], guard);
  for (const e of data.top) out += csvLine(['top', e.id, e.name, data.topBy, e.value, '', ''], guard);
  return out;
}

function signed(pct: string): string {
  if (pct === '') return 'no previous data';
  return `${Number(pct) > 0 ? '+' : ''}${pct} % vs previous period`;
}

/** The headline for Slack, Teams, e-mail…: every metric with its change, the top entry, the keys. */
export function summaryAlertMessage(data: SummaryData, message: JobMessage, keys: { page: string; csv: string }, link: string): AlertMessage {
  const windowText = describeWindow(data.window);
  const numbers = data.totals.map((t) => `${t.metric} ${t.value} (${signed(t.changePercent)})`);
  const leader = data.top[0];
  const facts = [
    ...data.totals.map((t) => ({ label: t.metric, value: `${t.value} (previous ${t.previous}; ${signed(t.changePercent)})` })),
    ...(leader ? [{ label: `Top entry by ${data.topBy}`, value: `${leader.name || leader.id} (${leader.id}): ${leader.value}` }] : []),
    { label: 'Summary page', value: keys.page },
    { label: 'CSV', value: keys.csv },
  ];
  const title = `[SUMMARY] ${data.title}`;
  const description = numbers.join('; ');
  return {
    id: `${message.jobId}-summary`,
    kind: 'summary',
    severity: 'info',
    title,
    text: [title, description, `Window: ${windowText}`, ...facts.map((f) => `${f.label}: ${f.value}`), `Schedule ${message.rule}, job ${message.spec.name}`].join('\n'),
    rule: message.rule,
    job: message.spec.name,
    jobKind: 'export',
    jobId: message.jobId,
    subject: message.subject,
    description,
    window: { from: new Date(data.window.from * 1000).toISOString(), to: new Date(data.window.to * 1000).toISOString(), timezone: data.window.timezone, text: windowText },
    facts,
    link,
    at: data.generatedAt,
  };
}

/** Sends a message to the named destinations (wired to the alert engine's destinations). */
export type SummaryNotifier = (destinations: ReadonlyArray<string>, message: AlertMessage) => Promise<void>;

/** What an export (and a summary, one of its sources) runs with; `ExportDeps` in run-export.ts. */
export interface SummaryDeps {
  readonly api: KalturaApi;
  readonly blobStore: BlobStore;
  /** The configuration's `output.prefix`, e.g. `reports/`. */
  readonly prefix: string;
  readonly now?: () => Date;
  /** Sends a `summary` source's headline to its destinations; absent = files only (logged). */
  readonly notify?: SummaryNotifier;
  /** Base of links in summary messages (the configuration's `kaltura.kmcUrl`); default the KMC analytics page. */
  readonly kmcUrl?: string;
  readonly logger?: Logger;
}

export interface SummaryResult {
  readonly dataKey: string;
  readonly pageKey: string;
  readonly manifestKey: string;
  readonly manifest: ExportManifest;
  readonly data: SummaryData;
}

export function summaryPageKey(prefix: string, message: Pick<JobMessage, 'rule' | 'subject' | 'window'> & { spec: { name: string } }): string {
  return outputKeys(prefix, message, 'summary.html').data;
}

export async function runSummary(deps: SummaryDeps, message: SummaryMessage): Promise<SummaryResult> {
  const now = (deps.now ?? (() => new Date()))();
  const data = await collectSummary(deps.api, message, now);
  const keys = outputKeys(deps.prefix, message);
  const pageKey = summaryPageKey(deps.prefix, message);
  const metadata = { 'job-id': message.jobId, rule: message.rule, job: message.spec.name, subject: message.subject.id, window: message.window.label };
  const formulaGuard = message.spec.csv?.formulaGuard ?? true;
  const csv = summaryCsv(data, formulaGuard);
  const stored = await deps.blobStore.putBytes(keys.data, csv, { contentType: CSV_CONTENT_TYPE, metadata });
  await deps.blobStore.putBytes(pageKey, renderSummaryHtml(data, { csvName: keys.data.slice(keys.data.lastIndexOf('/') + 1) }), { contentType: HTML_CONTENT_TYPE, metadata });
  const rows = data.totals.length + data.daily.length + data.top.length;
  const source = message.spec.source;
  const manifest = buildManifest({
    message,
    dataKey: keys.data,
    contentType: CSV_CONTENT_TYPE,
    rows,
    lines: rows + 1,
    bytes: stored.bytes,
    sha256: stored.sha256,
    header: [...SUMMARY_CSV_HEADER],
    formulaGuard,
    bom: false,
    pages: 1,
    source: {
      type: 'summary',
      reportType: data.reportType,
      filter: { ...reportFilterFor(message.window, message.subject, source.filter) },
      previousWindow: { fromUnix: data.previousWindow.from, toUnix: data.previousWindow.to },
      metrics: data.totals.map((t) => t.metric),
      topBy: data.topBy,
      top: source.top ?? 10,
      pageKey,
    },
    partnerId: deps.api.partnerId,
    now,
  });
  await deps.blobStore.putBytes(keys.manifest, JSON.stringify(manifest, null, 2) + '\n', { contentType: MANIFEST_CONTENT_TYPE, metadata });
  const destinations = source.destinations ?? [];
  if (destinations.length > 0) {
    if (!deps.notify) deps.logger?.warn('summary destinations are not wired in this runtime; the summary files were written', { job: message.spec.name, destinations });
    else {
      const link = `${(deps.kmcUrl ?? 'https://kmc.kaltura.com').replace(/\/+$/, '')}/index.php/kmcng/analytics`;
      await deps.notify(destinations, summaryAlertMessage(data, message, { page: pageKey, csv: keys.data }, link)).catch((error: unknown) =>
        deps.logger?.warn('summary notification failed; the summary files were written', { job: message.spec.name, reason: error instanceof Error ? error.message : String(error) }),
      );
    }
  }
  return { dataKey: keys.data, pageKey, manifestKey: keys.manifest, manifest, data };
}
