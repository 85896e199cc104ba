/**
 * Report strings as the real server writes them (WIRE_FACTS §1.2-§1.4), parsed into header-keyed
 * records. Never by column position: callers pick `row['count_plays']`.
 *
 * - Table: `header` = names joined by D; `data` = rows, each `cells joined by D` + `;` (also the
 *   last one). Cells had D and `;` replaced by spaces on the server, so splitting is exact.
 *   Empty table: `{"objectType":"KalturaReportTable"}` (no header, data or totalCount), or a header
 *   with `"data":""` and `totalCount: 0`.
 * - Total: one row, no trailing `;`, and values NOT sanitised. Empty: `",,,"` (n-1 delimiters).
 * - Graph: `data` = `label D value;` per point; labels `YYYYMMDD`, `YYYYMMDDHH`, `YYYYMM`, `YYYY`,
 *   ISO timestamps for minute intervals, or metric names for by-name graphs. Empty: `"data":""`.
 */
import { z } from '../validation/zod.js';
import type { ReportGraph, ReportGraphPoint, ReportRow, ReportTable, ReportTablePage, ReportTotal } from './kaltura-api.js';
import { KalturaResponseError } from './errors.js';

/** The delimiter this client always requests (`responseOptions[delimiter]`). */
export const REPORT_DELIMITER = '|';
const ROW_SEPARATOR = ';';

const OptionalString = z.optional(z.nullable(z.string()));
export const ReportTableWire = z.object({
  header: OptionalString,
  data: OptionalString,
  totalCount: z.optional(z.nullable(z.union([z.number(), z.string()]))),
  objectType: z.optional(z.string()),
});
export const ReportTotalWire = z.object({ header: OptionalString, data: OptionalString, objectType: z.optional(z.string()) });
export const ReportGraphWire = z.object({ id: z.optional(z.string()), data: OptionalString, objectType: z.optional(z.string()) });
export const ReportGraphsWire = z.array(ReportGraphWire);

function validate<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: ReadonlyArray<{ message: string; path: ReadonlyArray<PropertyKey> }> } } }, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KalturaResponseError(`Kaltura ${what} answer has an unexpected shape (${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}); the server or simulator may be incompatible.`);
  }
  return parsed.data;
}

export function splitHeader(header: string | null | undefined, delimiter: string): string[] {
  if (!header) return [];
  return header.split(delimiter).map((h) => h.trim());
}

/** Splits `data` into rows of cells: rows end with `;`, empty strings (the trailing one) are skipped. */
export function splitRows(data: string | null | undefined, delimiter: string): string[][] {
  if (!data) return [];
  const rows: string[][] = [];
  for (const row of data.split(ROW_SEPARATOR)) {
    if (row === '') continue;
    rows.push(row.split(delimiter));
  }
  return rows;
}

function toCount(value: number | string | null | undefined): number {
  if (value === null || value === undefined || value === '') return 0;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
}

/** Cells in header order: short rows are padded with '', extra cells (should not happen) are dropped. */
function alignCells(cells: string[], width: number): string[] {
  if (cells.length === width) return cells;
  if (cells.length < width) return [...cells, ...Array<string>(width - cells.length).fill('')];
  return cells.slice(0, width);
}

function rowRecord(header: ReadonlyArray<string>, cells: ReadonlyArray<string>): ReportRow {
  const row: Record<string, string> = {};
  header.forEach((name, i) => {
    // A repeated header name keeps its first value; the rest are reachable through the page form.
    if (!(name in row)) row[name] = cells[i] ?? '';
  });
  return row;
}

export function parseTablePage(value: unknown, delimiter: string, pageIndex: number): ReportTablePage {
  const wire = validate(ReportTableWire, value, 'report.getTable');
  const header = splitHeader(wire.header, delimiter);
  const rows = header.length === 0 ? [] : splitRows(wire.data, delimiter).map((cells) => alignCells(cells, header.length));
  return { pageIndex, header, rows, totalCount: toCount(wire.totalCount) };
}

export function parseTable(value: unknown, delimiter: string): ReportTable {
  const page = parseTablePage(value, delimiter, 1);
  return { header: page.header, rows: page.rows.map((cells) => rowRecord(page.header, cells)), totalCount: page.totalCount };
}

/**
 * Totals are not sanitised by the server, so a value could contain the delimiter. When the cell
 * count does not match the header, the surplus is joined back into the last column (totals are
 * metrics; a text value with a delimiter is the only way this happens).
 */
export function parseTotal(value: unknown, delimiter: string): ReportTotal {
  const wire = validate(ReportTotalWire, value, 'report.getTotal');
  const header = splitHeader(wire.header, delimiter);
  if (header.length === 0) return { header, values: {} };
  let cells = (wire.data ?? '').split(delimiter);
  // A stray trailing row separator (guides' examples vary) is not part of the last value.
  if (cells.length > 0 && cells[cells.length - 1]!.endsWith(ROW_SEPARATOR)) cells[cells.length - 1] = cells[cells.length - 1]!.slice(0, -1);
  if (cells.length > header.length) cells = [...cells.slice(0, header.length - 1), cells.slice(header.length - 1).join(delimiter)];
  return { header, values: rowRecord(header, alignCells(cells, header.length)) };
}

export function parseGraphPoints(data: string | null | undefined, delimiter: string): ReportGraphPoint[] {
  if (!data) return [];
  const points: ReportGraphPoint[] = [];
  for (const part of data.split(ROW_SEPARATOR)) {
    if (part === '') continue;
    const at = part.indexOf(delimiter);
    if (at < 0) points.push({ label: part, value: '' });
    else points.push({ label: part.slice(0, at), value: part.slice(at + delimiter.length) });
  }
  return points;
}

export function parseGraphs(value: unknown, delimiter: string): ReportGraph[] {
  // `null` (void) is what some empty answers look like; treat it as no graphs.
  if (value === null) return [];
  const wire = validate(ReportGraphsWire, value, 'report.getGraphs');
  return wire.map((g) => ({ id: g.id ?? '', points: parseGraphPoints(g.data, delimiter) }));
}

/** Table page -> header-keyed rows (for callers that prefer records). */
export function pageRows(page: ReportTablePage): ReportRow[] {
  return page.rows.map((cells) => rowRecord(page.header, cells));
}
