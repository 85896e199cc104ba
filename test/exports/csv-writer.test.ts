import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { csvLine, newDownloadShape, newProgress, passThroughCsv, tablePagesToCsv } from '../../shared/exports/csv-writer.js';
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

  it('round-trips any cell text through a standard CSV parser', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.string({ unit: 'grapheme' }), { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 20 }), async (rows) => {
        const progress = newProgress();
        const out = await collect(tablePagesToCsv(pages(page(1, ['x', 'y'], rows)), progress));
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
