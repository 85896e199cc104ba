/**
 * RFC 4180 CSV from report table pages, streaming: one page in memory at a time, output in chunks of
 * about 64 KB. UTF-8, a header row, CRLF line ends, a cell quoted only when it holds `"`, `,`, CR or
 * LF (inner quotes doubled). Cells are written as Kaltura sent them (no number reformatting), except
 * for the formula guard below.
 *
 * Formula guard (SPEC §5, OWASP "CSV injection"; on unless the job says `csv: { formulaGuard: false }`):
 * entry names, user names and other text cells come from end users, and a cell such as
 * `=HYPERLINK("http://…")` opens as a live formula in Excel or Sheets. A cell that starts with `=`, `+`,
 * `-`, `@`, tab or CR gets a leading `'` unless it is a number (`-5`, `+3`, `-1.5e3` are left alone).
 * It costs one character test per cell on the hot path; the number test runs only on `+`/`-` cells.
 *
 * Columns are matched by header name, never by position: the first page's header is the file's
 * header; a later page whose header comes in another order is re-mapped by name, and a page with a
 * column the file does not have is an error (the file cannot change shape half way).
 *
 * A hand-written loop, because it is the hot path of every table export (FIELD-NOTES: ~490k rows/s,
 * twice `csv-stringify`).
 */
import { StringDecoder } from 'node:string_decoder';
import { ReportingError } from '../errors/base-error.js';
import type { ReportTablePage } from '../kaltura/kaltura-api.js';

const NEEDS_QUOTES = /[",\r\n]/;
const QUOTE = /"/g;
const CHUNK_CHARS = 16 * 1024;
/** A plain decimal number, as Kaltura writes metrics (and as spreadsheets read numbers). */
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Whether a cell starting with this character code may open as a formula: = + - @ tab CR. */
function isTrigger(code: number): boolean {
  return code === 61 || code === 43 || code === 45 || code === 64 || code === 9 || code === 13;
}

/** The cell as the formula guard leaves it: `'` before a trigger character, numbers untouched. */
export function guardCell(value: string): string {
  const first = value.charCodeAt(0);
  if (!isTrigger(first)) return value;
  if ((first === 45 || first === 43) && NUMBER.test(value)) return value;
  return "'" + value;
}

/** Whether a guarded file could still hold a cell that opens as a formula (for tests and checks). */
export function opensAsFormula(value: string): boolean {
  return guardCell(value) !== value;
}

/** One cell, quoted only when RFC 4180 needs it. */
export function csvCell(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(QUOTE, '""')}"` : value;
}

/** One CSV record with its CRLF; with `guard`, each cell goes through the formula guard first. */
export function csvLine(cells: ReadonlyArray<string>, guard = false): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) {
    if (i > 0) line += ',';
    let cell = cells[i] ?? '';
    if (guard && isTrigger(cell.charCodeAt(0))) cell = guardCell(cell);
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
  /** Neutralise cells that would open as formulas (see the header). Default true. */
  readonly formulaGuard?: boolean;
}

/**
 * Turns table pages into CSV byte chunks. `progress` is filled in as it goes. With no rows at all
 * the output is empty (Kaltura sends no header for an empty table), and `progress.header` is `[]`.
 */
export async function* tablePagesToCsv(pages: AsyncIterable<ReportTablePage>, progress: CsvProgress, options: TableCsvOptions = {}): AsyncGenerator<Buffer> {
  const guard = options.formulaGuard ?? true;
  let header: ReadonlyArray<string> | undefined;
  let chunk = '';
  for await (const page of pages) {
    if (!header) {
      header = page.header;
      progress.header = header;
      chunk += csvLine(header, guard);
    }
    const order = columnOrder(header, page.header);
    for (const row of page.rows) {
      if (order) {
        const cells = order.map((i) => (i < 0 ? '' : (row[i] ?? '')));
        chunk += csvLine(cells, guard);
      } else chunk += csvLine(row, guard);
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

/** Longest `+`/`-` cell still judged as a possible number; past it the cell is guarded at once. */
const MAX_NUMBER_CHARS = 64;

/**
 * The formula guard over a CSV passed through from Kaltura (getCsvFromStringParams, the Reports
 * Microservice): the bytes stay as they are, except for a `'` inserted before the value of a cell that
 * would open as a formula (after the opening quote of a quoted cell). It reads RFC 4180 quoting (a
 * quoted cell is judged by its value) and Kaltura's unquoted files alike. An unquoted CR is a line end,
 * not a cell. Run it after the BOM is handled (passThroughCsv), so the first cell starts the file.
 *
 * Streaming and constant memory: a cell starting with `+` or `-` is held back only until it is known
 * not to be a number (at most MAX_NUMBER_CHARS characters); every other decision is made at its first
 * character.
 */
export async function* guardCsvStream(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const decoder = new StringDecoder('utf8');
  const START = 0, UNQUOTED = 1, QUOTED_FIRST = 2, QUOTED = 3, QUOTED_QUOTE = 4;
  let state = START;
  /** A `+`/`-` cell not decided yet, from its first raw character (a quote included), carried between chunks. */
  let carry = '';
  const scan = (text: string, last: boolean): string => {
    let out = '';
    let emitted = 0;
    let hold = -1;
    let holdQuoted = false;
    const guardAt = (at: number) => {
      out += text.slice(emitted, at) + "'";
      emitted = at;
    };
    /** The held cell ends just before `end`: guard it unless it is a number. */
    const resolve = (end: number) => {
      const raw = text.slice(hold, end);
      // `hold` is the cell's first character (after the opening quote of a quoted cell).
      const value = holdQuoted ? raw.slice(0, raw.endsWith('"') ? -1 : undefined).replace(/""/g, '"') : raw;
      if (!NUMBER.test(value)) guardAt(hold);
      hold = -1;
    };
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      switch (state) {
        case START:
          if (c === 34) state = QUOTED_FIRST;
          else if (c === 44 || c === 10 || c === 13) state = START;
          else {
            state = UNQUOTED;
            if (c === 43 || c === 45) {
              hold = i;
              holdQuoted = false;
            } else if (isTrigger(c)) guardAt(i);
          }
          break;
        case UNQUOTED:
          if (c === 44 || c === 10 || c === 13) {
            if (hold >= 0) resolve(i);
            state = START;
          }
          break;
        case QUOTED_FIRST:
          if (c === 34) state = QUOTED_QUOTE;
          else {
            state = QUOTED;
            if (c === 43 || c === 45) {
              // From the sign, not the quote: a chunk may end right after the quote.
              hold = i;
              holdQuoted = true;
            } else if (isTrigger(c)) guardAt(i);
          }
          break;
        case QUOTED:
          if (c === 34) state = QUOTED_QUOTE;
          break;
        case QUOTED_QUOTE:
          if (c === 34) state = QUOTED;
          else if (c === 44 || c === 10 || c === 13) {
            if (hold >= 0) resolve(i);
            state = START;
          } else state = UNQUOTED; // not RFC 4180 (`"a"b`): read on as text, as spreadsheets do
          break;
      }
      if (hold >= 0 && i - hold >= MAX_NUMBER_CHARS) {
        guardAt(hold);
        hold = -1;
      }
    }
    if (hold >= 0 && last) resolve(text.length);
    if (hold >= 0) {
      // Undecided at the end of this chunk: keep the cell and read it again, from its start, with the next one.
      out += text.slice(emitted, hold);
      carry = text.slice(hold);
      // A quoted cell is carried from its sign, its opening quote already emitted: resume inside the quotes.
      state = holdQuoted ? QUOTED_FIRST : START;
      return out;
    }
    carry = '';
    return out + text.slice(emitted);
  };
  for await (const chunk of source) {
    const text = carry + decoder.write(chunk);
    const out = scan(text, false);
    if (out.length > 0) yield Buffer.from(out, 'utf8');
  }
  const rest = carry + decoder.end();
  if (rest.length > 0) {
    const out = scan(rest, true);
    if (out.length > 0) yield Buffer.from(out, 'utf8');
  }
}
