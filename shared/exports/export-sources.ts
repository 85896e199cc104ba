/**
 * The three API v3 export sources of an `export` job (config `source.type`), each turned into a
 * stream of CSV bytes plus what the manifest needs to say about it:
 *
 * - `table`: paged report.getTable (`iterateTable`, one page in memory), written as RFC 4180 CSV.
 *   Any report type, any filter field of seed §13; the window and the subject's scope filter are
 *   added. getTable serves at most 12000 rows (WIRE_FACTS §1.5): beyond that the job fails
 *   permanently with advice, never silently short.
 * - `csv-url`: report.getUrlForReportAsCsv, then the file at that URL, streamed exactly as Kaltura
 *   wrote it (BOM, title/total/table sections and all; WIRE_FACTS §2.1).
 * - `string-params`: report.getCsvFromStringParams (4021, 6000-6002, 3006-3008), streamed with
 *   Kaltura's UTF-8 BOM **removed**, so the first column name is clean for warehouses and the file
 *   matches our table CSVs (the manifest's `bom` is false). Window parameters are added when the
 *   configuration does not set them (see `stringParamsFor`).
 *
 * The formula guard (csv-writer.ts; job option `csv.formulaGuard`, default on) applies to `table` and
 * `string-params` files; a `csv-url` file carries Kaltura's own guard.
 */
import type { ExportSource, ReportFilter } from '../config/schema.js';
import type { JobMessage, JobWindow } from '../jobs/job-message.js';
import type { KalturaApi, ReportInputFilter } from '../kaltura/kaltura-api.js';
import { scopeFilter, scopeObjectIds } from '../jobs/create-job-message.js';
import { kalturaTimeZoneOffset, localDay } from '../jobs/window.js';
import { guardCsvStream, newDownloadShape, newProgress, passThroughCsv, tablePagesToCsv, type CsvProgress } from './csv-writer.js';
import type { ManifestSource } from './manifest.js';
import { enrichPages } from './enrich.js';
import { listUncaptionedEntries, rankUncaptioned } from './caption-coverage.js';
import { PermanentJobError } from '../queues/job-batch-processor.js';

/** Default getTable page size: divides 12000, so the pager reaches the server's row limit exactly. */
export const DEFAULT_PAGE_SIZE = 4000;

export interface SourceStream {
  readonly body: AsyncIterable<Buffer>;
  readonly progress: CsvProgress;
  readonly source: ManifestSource;
  /** Whether text cells that would open as formulas were neutralised (for the manifest). */
  readonly formulaGuard: boolean;
  /** Read after the body is consumed. */
  summary(): { rows: number; lines: number; header?: ReadonlyArray<string>; bom: boolean; pages?: number };
}

export interface SourceOptions {
  /** Called as bytes flow: rows (or lines), pages, bytes so far. */
  readonly onProgress?: (progress: Readonly<CsvProgress>) => void;
}

/** The report filter of a job: window, timezone offset, configured fields, then the subject's scope. */
export function reportFilterFor(window: JobWindow, subject: JobMessage['subject'], filter: ReportFilter | undefined): ReportInputFilter {
  return {
    fromDate: window.from,
    toDate: window.to,
    timeZoneOffset: kalturaTimeZoneOffset(window),
    ...(filter ?? {}),
    ...scopeFilter(subject),
  } as ReportInputFilter;
}

/** `YYYYMMDD` of an instant in a timezone (the `*_date_id` parameters of the special reports). */
function dateId(ms: number, timezone: string): string {
  return localDay(ms, timezone).replace(/-/g, '');
}

/**
 * Parameters of getCsvFromStringParams: the configured ones, plus the window when absent —
 * 3006-3008 take `from_date_id`/`to_date_id` (YYYYMMDD, last day included) and `timezone_offset`;
 * the others (4021, 6000-6002) take `from_date`/`to_date` in unix seconds (seed §9.2).
 */
export function stringParamsFor(reportId: number, params: Record<string, string | number> | undefined, window: JobWindow): Record<string, string | number> {
  const out: Record<string, string | number> = { ...(params ?? {}) };
  if (reportId >= 3006 && reportId <= 3008) {
    out.from_date_id ??= dateId(window.from * 1000, window.timezone);
    out.to_date_id ??= dateId(window.to * 1000 - 1, window.timezone);
    out.timezone_offset ??= kalturaTimeZoneOffset(window);
  } else {
    out.from_date ??= window.from;
    out.to_date ??= window.to;
  }
  return out;
}

export async function openExportSource(api: KalturaApi, message: JobMessage & { spec: { kind: 'export'; source: ExportSource } }, options: SourceOptions = {}): Promise<SourceStream> {
  const source = message.spec.source;
  const progress = newProgress();
  const guard = message.spec.csv?.formulaGuard ?? true;
  switch (source.type) {
    case 'table': {
      const filter = reportFilterFor(message.window, message.subject, source.filter);
      const pageSize = source.pageSize ?? DEFAULT_PAGE_SIZE;
      const objectIds = scopeObjectIds(message.subject);
      const pages = api.iterateTable({
        reportType: source.reportType,
        filter,
        ...(objectIds ? { objectIds } : {}),
        ...(source.order ? { order: source.order } : {}),
        pageSize,
        ...(source.maxRows ? { maxRows: source.maxRows } : {}),
      });
      const fetched = readAhead(pages);
      return {
        body: tablePagesToCsv(source.enrich ? enrichPages(api, fetched, source.enrich) : fetched, progress, { formulaGuard: guard, ...(options.onProgress ? { onPage: options.onProgress } : {}) }),
        progress,
        formulaGuard: guard,
        source: {
          type: 'table',
          reportType: String(source.reportType),
          filter: { ...filter },
          ...(source.order ? { order: source.order } : {}),
          pageSize,
          ...(objectIds ? { objectIds } : {}),
          ...(source.enrich ? { enrich: { ...source.enrich } } : {}),
        },
        summary: () => ({ rows: progress.rows, lines: progress.rows + (progress.header.length > 0 ? 1 : 0), header: progress.header, bom: false, pages: progress.pages }),
      };
    }
    case 'csv-url': {
      const filter = reportFilterFor(message.window, message.subject, source.filter);
      const reportTitle = source.reportTitle ?? `${message.rule} ${message.spec.name} ${message.subject.id}`;
      const objectIds = scopeObjectIds(message.subject);
      const url = await api.getUrlForReportAsCsv({
        reportType: source.reportType,
        filter,
        ...(objectIds ? { objectIds } : {}),
        reportTitle,
        reportText: `${message.window.label} (${message.window.timezone})`,
        ...(source.totalHeaders ? { totalHeaders: source.totalHeaders } : {}),
        tableHeaders: source.tableHeaders,
      });
      const download = await api.downloadCsvUrl(url);
      const shape = newDownloadShape();
      progress.pages = 1;
      return {
        body: passThroughCsv(download.body, progress, shape, { stripBom: false, ...(options.onProgress ? { onChunk: options.onProgress } : {}) }),
        progress,
        // Kaltura's own guard (WIRE_FACTS §2.1) is in the file already; the configuration cannot turn it off.
        formulaGuard: true,
        source: { type: 'csv-url', reportType: String(source.reportType), filter: { ...filter }, reportTitle, totalHeaders: source.totalHeaders ?? [], tableHeaders: source.tableHeaders },
        summary: () => ({ rows: shape.tableRows, lines: shape.lines, bom: shape.bom, header: source.tableHeaders }),
      };
    }
    case 'uncaptioned-entries': {
      const filter = reportFilterFor(message.window, message.subject, source.filter);
      const order = source.order ?? '-count_plays';
      const reportType = source.reportType ?? 38;
      const maxEntries = source.maxEntries ?? 10_000;
      async function* pages() {
        const entries = await listUncaptionedEntries(api, maxEntries);
        found = entries.length;
        yield await rankUncaptioned(api, entries, { reportType, filter, order });
      }
      let found = 0;
      const manifestSource = { type: 'uncaptioned-entries' as const, reportType: String(reportType), filter: { ...filter }, order, search: 'NOT captionAssetItems EXISTS' };
      return {
        body: tablePagesToCsv(pages(), progress, { formulaGuard: guard, ...(options.onProgress ? { onPage: options.onProgress } : {}) }),
        progress,
        formulaGuard: guard,
        // Read after the body is consumed, like summary(): the count is known once eSearch answered.
        get source() {
          return { ...manifestSource, uncaptionedEntries: found };
        },
        summary: () => ({ rows: progress.rows, lines: progress.rows + (progress.header.length > 0 ? 1 : 0), header: progress.header, bom: false, pages: progress.pages }),
      };
    }
    case 'summary':
      // Written by runSummary (several objects and a notification), never streamed as one source.
      throw new PermanentJobError(`Job ${message.rule}.${message.spec.name}: a summary source is run by runExport, not openExportSource.`);
    case 'string-params': {
      const params = stringParamsFor(source.reportId, source.params, message.window);
      const download = await api.getCsvFromStringParams({ id: source.reportId, params, ...(source.excludedFields ? { excludedFields: source.excludedFields } : {}) });
      const shape = newDownloadShape();
      progress.pages = 1;
      const bytes = passThroughCsv(download.body, progress, shape, { stripBom: true, ...(options.onProgress ? { onChunk: options.onProgress } : {}) });
      return {
        body: guard ? guardCsvStream(bytes) : bytes,
        progress,
        formulaGuard: guard,
        source: { type: 'string-params', reportId: source.reportId, params, excludedFields: source.excludedFields ?? [] },
        summary: () => ({ rows: Math.max(0, shape.lines - 1), lines: shape.lines, bom: false }),
      };
    }
  }
}

/**
 * Fetches up to `depth` pages ahead while the current one is being written (memory: depth + 1
 * pages): the Kaltura round trips overlap CSV writing and the upload.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, depth = 2): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const pending: Array<Promise<IteratorResult<T>>> = [];
  let ended = false;
  // Pages are requested one after another (each after the previous arrived), never in parallel:
  // the pager decides when to stop from the page it just got.
  let chain: Promise<unknown> = Promise.resolve();
  const requestNext = () => {
    const next = chain.then(() => iterator.next());
    chain = next.then((r) => {
      if (r.done) ended = true;
    }, () => {
      ended = true;
    });
    // A rejection is handled when awaited below; this keeps it from being reported as unhandled meanwhile.
    next.catch(() => undefined);
    pending.push(next);
  };
  try {
    for (let i = 0; i < depth; i++) requestNext();
    for (;;) {
      const current = await pending.shift()!;
      if (current.done) return;
      if (!ended) requestNext();
      yield current.value;
    }
  } finally {
    await iterator.return?.();
  }
}
