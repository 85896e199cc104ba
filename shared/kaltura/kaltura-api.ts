/**
 * The contract of the Kaltura client as the rest of the project sees it (checks, exports, live
 * watches, CLI). The implementation is `kaltura-client.ts` (API v3 over undici) in this folder.
 *
 * Everything here is already parsed: report strings become header-keyed records, never positions.
 */
import type { Readable } from 'node:stream';

/** `KalturaEndUserReportInputFilter` fields (seed §13); list fields as arrays or delimiter-joined strings. */
export interface ReportInputFilter {
  /** Unix seconds. */
  readonly fromDate: number;
  /** Unix seconds. */
  readonly toDate: number;
  /** Minutes, as Kaltura wants it: UTC minus local (e.g. New York in winter = 300). */
  readonly timeZoneOffset?: number;
  readonly interval?: 'years' | 'months' | 'days' | 'hours' | 'minutes' | 'ten_seconds' | 'ten_minutes';
  readonly [field: string]: string | number | boolean | ReadonlyArray<string> | undefined;
}

export interface ReportRequest {
  readonly reportType: number | string;
  readonly filter: ReportInputFilter;
  readonly objectIds?: ReadonlyArray<string>;
  readonly order?: string;
}

/** A row of a table: header name -> cell text, exactly as Kaltura sent it. */
export type ReportRow = Readonly<Record<string, string>>;

export interface ReportTable {
  readonly header: ReadonlyArray<string>;
  readonly rows: ReadonlyArray<ReportRow>;
  /** 0 when Kaltura sent none (empty shape, or the totalCount quirk of WIRE_FACTS §1.5). */
  readonly totalCount: number;
}

export interface ReportTotal {
  readonly header: ReadonlyArray<string>;
  /** Header name -> value; empty string where Kaltura sent an empty value (skipEmptyDates). */
  readonly values: ReportRow;
}

export interface ReportGraphPoint {
  /** `YYYYMMDD`, `YYYYMMDDHH`, `YYYYMM`, `YYYY`, an ISO timestamp, or a metric name for by-name graphs. */
  readonly label: string;
  readonly value: string;
}
export interface ReportGraph {
  readonly id: string;
  readonly points: ReadonlyArray<ReportGraphPoint>;
}

/** One page of a paged getTable; `rows` as cells in `header` order for streaming to CSV cheaply. */
export interface ReportTablePage {
  readonly pageIndex: number;
  readonly header: ReadonlyArray<string>;
  readonly rows: ReadonlyArray<ReadonlyArray<string>>;
  readonly totalCount: number;
}

/** Per-item outcome of a multirequest. */
export type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

export interface ReportBundle {
  readonly total: Settled<ReportTotal>;
  readonly graphs: Settled<ReadonlyArray<ReportGraph>>;
  readonly table: Settled<ReportTable>;
}

export interface CsvDownload {
  /** The raw bytes as a stream; never buffered whole. */
  readonly body: Readable;
  readonly contentType: string | undefined;
  /** From Content-Length when sent; used to detect truncated downloads. */
  readonly contentLength: number | undefined;
}

export interface BeaconHealth {
  readonly objectId: string;
  /** `0_` = primary, `1_` = backup. */
  readonly stream: 'primary' | 'backup';
  readonly eventType: string;
  /** Unix seconds. */
  readonly updatedAt: number;
  /** 0 debug .. 4 critical; undefined when privateData has none. */
  readonly maxSeverity: number | undefined;
  readonly alerts: ReadonlyArray<{ readonly code: number; readonly time?: number; readonly arguments?: unknown }>;
}

export interface LiveAudiencePoint {
  /** Unix seconds (10-second buckets). */
  readonly time: number;
  readonly audience: number;
  readonly dvrAudience: number;
}

export type MicroserviceStatus =
  | { readonly status: 'pending' | 'in_progress' }
  | { readonly status: 'completed' }
  | { readonly status: 'failed'; readonly reason: string };

export interface NotificationTemplate {
  readonly id: number;
  readonly systemName?: string;
  readonly name?: string;
  readonly status?: number;
  readonly eventType?: number | string;
  readonly eventObjectType?: number | string;
  readonly url?: string;
}

export interface KalturaApi {
  readonly partnerId: number;

  /** Any API v3 action, form-encoded with bracket notation; returns the parsed JSON result. */
  call(service: string, action: string, params?: Record<string, unknown>): Promise<unknown>;
  /** Several actions in one HTTP call; per-item results and errors. */
  multirequest(requests: ReadonlyArray<{ service: string; action: string; params?: Record<string, unknown> }>): Promise<Settled<unknown>[]>;

  getTotal(request: ReportRequest): Promise<ReportTotal>;
  getTable(request: ReportRequest & { pageSize: number; pageIndex: number }): Promise<ReportTable>;
  getGraphs(request: ReportRequest & { dimension?: string }): Promise<ReportGraph[]>;
  /** getTotal + getGraphs + getTable in one multirequest. */
  getReportBundle(request: ReportRequest & { pageSize?: number }): Promise<ReportBundle>;
  /**
   * All pages of getTable, one page in memory at a time; respects the 12000-row limit: when more
   * rows exist it throws KalturaRowLimitError after the last reachable page, or stops quietly with
   * `onRowLimit: 'stop'`.
   */
  iterateTable(request: ReportRequest & { pageSize?: number; maxRows?: number; onRowLimit?: 'error' | 'stop' }): AsyncIterable<ReportTablePage>;

  /** `headers` is built as `"<total names>;<table names>"` (WIRE_FACTS §2.1). Returns the URL. */
  getUrlForReportAsCsv(request: ReportRequest & { reportTitle: string; reportText?: string; totalHeaders?: ReadonlyArray<string>; tableHeaders: ReadonlyArray<string> }): Promise<string>;
  /** Streams a URL returned by getUrlForReportAsCsv (the URL embeds its own KS: never log it). */
  downloadCsvUrl(url: string): Promise<CsvDownload>;
  /** Raw CSV body with BOM (a `file` action), streamed. */
  getCsvFromStringParams(request: { id: number; params?: Record<string, string | number>; excludedFields?: ReadonlyArray<string> }): Promise<CsvDownload>;

  microserviceGenerate(request: { reportName: string; reportParameters?: Record<string, unknown>; privileges?: ReadonlyArray<string> }): Promise<{ sessionId: string }>;
  microserviceStatus(sessionId: string, options?: { privileges?: ReadonlyArray<string> }): Promise<MicroserviceStatus>;
  microserviceDownload(sessionId: string, options?: { privileges?: ReadonlyArray<string> }): Promise<CsvDownload>;

  /** Health beacons (`*_healthData`, Log index) for live entries since a time (unix seconds). */
  listHealthBeacons(request: { entryIds: ReadonlyArray<string>; since?: number }): Promise<BeaconHealth[]>;
  /** liveReports.getEvents ENTRY_TIME_LINE audience points. */
  getLiveAudience(request: { entryId: string; fromTime: number; toTime: number }): Promise<LiveAudiencePoint[]>;

  listNotificationTemplates(request: { systemNameEqual?: string; partnerIdEqual?: number }): Promise<NotificationTemplate[]>;
  cloneNotificationTemplate(id: number, template: Record<string, unknown>): Promise<NotificationTemplate>;
  updateNotificationTemplateStatus(id: number, status: 'active' | 'disabled'): Promise<NotificationTemplate>;
  /**
   * The client's current KS (cached session; app token or admin secret, whichever is configured),
   * for Kaltura services outside API v3 that take `Authorization: Bearer <KS>` (e.g. Messaging).
   * Never log it. Optional so that test fakes need not implement it.
   */
  getKs?(options?: { privileges?: ReadonlyArray<string> }): Promise<string>;
  /** Entry metadata for alert messages (`baseEntry.get`); undefined when the entry does not exist. */
  getEntry(entryId: string): Promise<{ id: string; name?: string; status?: number } | undefined>;
}
