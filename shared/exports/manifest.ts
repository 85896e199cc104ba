/**
 * The manifest written beside every export (`<key>.manifest.json`), after the CSV itself succeeded:
 * a consumer that finds a manifest knows the CSV at `dataKey` is complete, and can verify it with
 * `sha256` and `bytes`. Field reference: docs/exports.md.
 */
import type { JobMessage } from '../jobs/job-message.js';

export const MANIFEST_VERSION = 1 as const;

export type ManifestSource =
  | { readonly type: 'table'; readonly reportType: string; readonly filter: Record<string, unknown>; readonly order?: string; readonly pageSize: number; readonly objectIds?: ReadonlyArray<string>; readonly enrich?: Record<string, unknown> }
  | { readonly type: 'uncaptioned-entries'; readonly reportType: string; readonly filter: Record<string, unknown>; readonly order: string; readonly uncaptionedEntries: number; readonly search: string }
  | { readonly type: 'summary'; readonly reportType: string; readonly filter: Record<string, unknown>; readonly previousWindow: { readonly fromUnix: number; readonly toUnix: number }; readonly metrics: ReadonlyArray<string>; readonly topBy: string; readonly top: number; readonly pageKey: string }
  | { readonly type: 'csv-url'; readonly reportType: string; readonly filter: Record<string, unknown>; readonly reportTitle: string; readonly totalHeaders: ReadonlyArray<string>; readonly tableHeaders: ReadonlyArray<string> }
  | { readonly type: 'string-params'; readonly reportId: number; readonly params: Record<string, string | number>; readonly excludedFields: ReadonlyArray<string> }
  | { readonly type: 'microservice'; readonly reportName: string; readonly reportParameters: Record<string, unknown>; readonly sessionId: string };

export interface ExportManifest {
  readonly manifestVersion: typeof MANIFEST_VERSION;
  /** Key of the CSV this manifest describes (same folder). */
  readonly dataKey: string;
  readonly contentType: string;
  /**
   * Data rows. `table`: CSV records after the header. `string-params`/`microservice`: lines after
   * the header line. `csv-url`: rows of the file's table section (the file also has title, total
   * and graph sections, see docs/exports.md).
   */
  readonly rows: number;
  /** Physical lines in the file (downloaded sources), or records incl. the header (table). */
  readonly lines: number;
  readonly bytes: number;
  /** Lowercase hex SHA-256 of the stored bytes. */
  readonly sha256: string;
  /** Column names of the header row, when the pipeline wrote or saw it. */
  readonly header?: ReadonlyArray<string>;
  /** Whether the stored file starts with a UTF-8 BOM (Kaltura's getUrlForReportAsCsv files do). */
  readonly bom: boolean;
  /** Kaltura API calls made for the data (getTable pages), when counted. */
  readonly pages?: number;
  /**
   * Whether text cells that would open as a spreadsheet formula carry a leading `'` (SPEC §5): the job's
   * `csv.formulaGuard` (default true). `csv-url` files: always true (Kaltura's own guard).
   */
  readonly formulaGuard: boolean;
  readonly source: ManifestSource;
  readonly window: {
    readonly from: string;
    readonly to: string;
    readonly fromUnix: number;
    readonly toUnix: number;
    readonly timezone: string;
    readonly label: string;
  };
  readonly job: {
    readonly jobId: string;
    readonly rule: string;
    readonly name: string;
    readonly kind: string;
    readonly subject: JobMessage['subject'];
    readonly trigger: JobMessage['trigger'];
  };
  readonly partnerId: number;
  readonly generatedAt: string;
}

export function buildManifest(input: {
  message: JobMessage;
  dataKey: string;
  contentType: string;
  rows: number;
  lines: number;
  bytes: number;
  sha256: string;
  header?: ReadonlyArray<string>;
  bom: boolean;
  pages?: number;
  formulaGuard: boolean;
  source: ManifestSource;
  partnerId: number;
  now: Date;
}): ExportManifest {
  const { message } = input;
  return {
    manifestVersion: MANIFEST_VERSION,
    dataKey: input.dataKey,
    contentType: input.contentType,
    rows: input.rows,
    lines: input.lines,
    bytes: input.bytes,
    sha256: input.sha256,
    ...(input.header && input.header.length > 0 ? { header: input.header } : {}),
    bom: input.bom,
    ...(input.pages !== undefined ? { pages: input.pages } : {}),
    formulaGuard: input.formulaGuard,
    source: input.source,
    window: {
      from: new Date(message.window.from * 1000).toISOString(),
      to: new Date(message.window.to * 1000).toISOString(),
      fromUnix: message.window.from,
      toUnix: message.window.to,
      timezone: message.window.timezone,
      label: message.window.label,
    },
    job: { jobId: message.jobId, rule: message.rule, name: message.spec.name, kind: message.spec.kind, subject: message.subject, trigger: message.trigger },
    partnerId: input.partnerId,
    generatedAt: input.now.toISOString(),
  };
}

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';
export const MANIFEST_CONTENT_TYPE = 'application/json';
