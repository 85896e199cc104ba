/**
 * RFC 4180 CSV from report table pages, streaming: one page in memory at a time, output in chunks of
 * about 64 KB. UTF-8, a header row, CRLF line ends, a cell quoted only when it holds `"`, `,`, CR or
 * LF (inner quotes doubled). Cells are written exactly as Kaltura sent them (no formula guard, no
 * number reformatting): the file is data, not a spreadsheet macro.
 *
 * Columns are matched by header name, never by position: the first page's header is the file's
 * header; a later page whose header comes in another order is re-mapped by name, and a page with a
 * column the file does not have is an error (the file cannot change shape half way).
 *
 * A hand-written loop, because it is the hot path of every table export (FIELD-NOTES: ~490k rows/s,
 * twice `csv-stringify`).
 */
import { ReportingError } from '../errors/base-error.js';
import type { ReportTablePage } from '../kaltura/kaltura-api.js';

const NEEDS_QUOTES = /[",\r\n]/;
const QUOTE = /"/g;
const CHUNK_CHARS = 16 * 1024;

/** One cell, quoted only when RFC 4180 needs it. */
export function csvCell(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(QUOTE, '""')}"` : value;
}

/** One CSV record with its CRLF. */
export function csvLine(cells: ReadonlyArray<string>): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) {
    if (i > 0) line += ',';
    const cell = cells[i] ?? '';
    line += NEEDS_QUOTES.test(cell) ? `"${cell.replace(QUOTE, '""')}"` : cell;
  }
  return line + '\r\n';
}

/** Counters updated while the CSV streams; read them after (or during) the stream. */
export interface CsvProgress {
  rows: number;
  pages: number;
  bytes: number;
  header: ReadonlyArray<string>;
}

/** The pages changed shape half way: the CSV cannot be completed. Permanent. */
export class CsvShapeError extends ReportingError {
  readonly retryable = false;
}

export interface TableCsvOptions {
  /** Called after each page is written (for progress bars). */
  readonly onPage?: (progress: Readonly<CsvProgress>) => void;
}

/**
 * Turns table pages into CSV byte chunks. `progress` is filled in as it goes. With no rows at all
 * the output is empty (Kaltura sends no header for an empty table), and `progress.header` is `[]`.
 */
export async function* tablePagesToCsv(pages: AsyncIterable<ReportTablePage>, progress: CsvProgress, options: TableCsvOptions = {}): AsyncGenerator<Buffer> {
  let header: ReadonlyArray<string> | undefined;
  let chunk = '';
  for await (const page of pages) {
    if (!header) {
      header = page.header;
      progress.header = header;
      chunk += csvLine(header);
    }
    const order = columnOrder(header, page.header);
    for (const row of page.rows) {
      if (order) {
        const cells = order.map((i) => (i < 0 ? '' : (row[i] ?? '')));
        chunk += csvLine(cells);
      } else chunk += csvLine(row);
      progress.rows++;
      if (chunk.length >= CHUNK_CHARS) {
        const buf = Buffer.from(chunk, 'utf8');
        chunk = '';
        progress.bytes += buf.length;
        yield buf;
      }
    }
    progress.pages++;
    options.onPage?.(progress);
  }
  if (chunk.length > 0) {
    const buf = Buffer.from(chunk, 'utf8');
    progress.bytes += buf.length;
    yield buf;
  }
}

/** `undefined` when the page has the file's header order; else, for each file column, its index in the page (-1 = missing). */
function columnOrder(fileHeader: ReadonlyArray<string>, pageHeader: ReadonlyArray<string>): number[] | undefined {
  if (pageHeader.length === fileHeader.length && pageHeader.every((h, i) => h === fileHeader[i])) return undefined;
  const extra = pageHeader.filter((h) => !fileHeader.includes(h));
  if (extra.length > 0) {
    throw new CsvShapeError(`The report's columns changed between pages (new: ${extra.slice(0, 5).join(', ')}); re-run the export.`);
  }
  return fileHeader.map((h) => pageHeader.indexOf(h));
}

/** What a pass-through download looked like. */
export interface DownloadShape {
  /** The source started with a UTF-8 BOM (EF BB BF). */
  bom: boolean;
  /** LF-terminated lines seen (a last line without LF counts too). */
  lines: number;
  /** Lines after the `"# Table"` marker block of a getUrlForReportAsCsv file (its table header excluded). */
  tableRows: number;
}

/**
 * Passes downloaded bytes through, counting bytes and lines (progress.rows = lines) and noting
 * whether the file starts with a BOM; with `stripBom` a leading BOM is dropped.
 * Lines are counted by LF: a quoted cell holding a newline counts twice (Kaltura's own CSV writers
 * do not produce those for the special reports; WIRE_FACTS §2.2).
 */
export async function* passThroughCsv(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  progress: CsvProgress,
  shape: DownloadShape,
  options: { stripBom?: boolean; onChunk?: (p: Readonly<CsvProgress>) => void } = {},
): AsyncGenerator<Buffer> {
  let head: Buffer | undefined = Buffer.alloc(0);
  // Scanner state for the "# Table" marker: beginning of the current line (first 10 bytes).
  let lineStart = Buffer.alloc(0);
  let atLineStart = true;
  let tableState: 'before' | 'dashes' | 'header' | 'rows' = 'before';
  let lastByte = 10;
  const MARK = Buffer.from('"# Table"');
  const endLine = () => {
    shape.lines++;
    progress.rows = shape.lines;
    if (tableState === 'rows') shape.tableRows++;
    else if (tableState === 'header') tableState = 'rows';
    else if (tableState === 'dashes') tableState = 'header';
    else if (lineStart.subarray(0, MARK.length).equals(MARK)) tableState = 'dashes';
    lineStart = Buffer.alloc(0);
    atLineStart = true;
  };
  const scan = (buf: Buffer) => {
    let from = 0;
    while (from < buf.length) {
      const nl = buf.indexOf(10, from);
      const end = nl === -1 ? buf.length : nl;
      if (atLineStart || lineStart.length < 10) {
        if (lineStart.length < 10) lineStart = Buffer.concat([lineStart, buf.subarray(from, Math.min(end, from + 10 - lineStart.length))]);
        atLineStart = false;
      }
      if (nl === -1) break;
      endLine();
      from = nl + 1;
    }
    if (buf.length > 0) lastByte = buf[buf.length - 1]!;
  };
  const emit = (buf: Buffer) => {
    scan(buf);
    progress.bytes += buf.length;
    options.onChunk?.(progress);
  };
  for await (const part of source) {
    let buf = typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength);
    if (head) {
      // Decide about the BOM once 3 bytes are in (it may straddle chunks).
      head = Buffer.concat([head, buf]);
      if (head.length < 3) continue;
      buf = head;
      head = undefined;
      shape.bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
      if (shape.bom && options.stripBom) buf = buf.subarray(3);
    }
    if (buf.length === 0) continue;
    emit(buf);
    yield buf;
  }
  if (head && head.length > 0) {
    shape.bom = false;
    emit(head);
    yield head;
  }
  if (lastByte !== 10) endLine();
}

export function newDownloadShape(): DownloadShape {
  return { bom: false, lines: 0, tableRows: 0 };
}

export function newProgress(): CsvProgress {
  return { rows: 0, pages: 0, bytes: 0, header: [] };
}
