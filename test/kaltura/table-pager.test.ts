import { describe, expect, it } from 'vitest';
import { pageTable } from '../../shared/kaltura/table-pager.js';
import { KalturaRowLimitError } from '../../shared/kaltura/errors.js';
import type { ReportTablePage } from '../../shared/kaltura/kaltura-api.js';

/** A fake server-side table of `total` rows answering like report.getTable (12000-row rule included). */
function fakeTable(total: number, options: { reportTotal?: boolean } = {}) {
  const asked: Array<[number, number]> = [];
  const fetch = async (pageSize: number, pageIndex: number): Promise<ReportTablePage> => {
    asked.push([pageSize, pageIndex]);
    if (pageIndex > 1 && pageIndex * pageSize > 12000) throw new Error('INTERNAL_SERVERL_ERROR result limit is 12000 rows');
    const size = Math.min(pageSize, 12000);
    const from = (pageIndex - 1) * size;
    const rows = Array.from({ length: Math.max(0, Math.min(size, total - from)) }, (_, i) => [`r${from + i}`]);
    if (rows.length === 0) return { pageIndex, header: [], rows: [], totalCount: 0 };
    return { pageIndex, header: ['id'], rows, totalCount: options.reportTotal === false ? 0 : total };
  };
  return { fetch, asked };
}

async function collect(iter: AsyncIterable<ReportTablePage>): Promise<string[]> {
  const out: string[] = [];
  for await (const page of iter) for (const row of page.rows) out.push(row[0]!);
  return out;
}

describe('getTable pager', () => {
  it('reads every page once and stops at totalCount', async () => {
    const table = fakeTable(1050);
    const rows = await collect(pageTable(table.fetch, { pageSize: 500 }));
    expect(rows).toHaveLength(1050);
    expect(new Set(rows).size).toBe(1050);
    expect(table.asked).toEqual([[500, 1], [500, 2], [500, 3]]);
  });

  it('stops on an exactly full last page without an extra request when totalCount says so', async () => {
    const table = fakeTable(1000);
    await collect(pageTable(table.fetch, { pageSize: 500 }));
    expect(table.asked).toHaveLength(2);
  });

  it('stops on the empty shape when Kaltura sends no totalCount (the §1.5 quirk)', async () => {
    const table = fakeTable(1000, { reportTotal: false });
    const rows = await collect(pageTable(table.fetch, { pageSize: 500 }));
    expect(rows).toHaveLength(1000);
    expect(table.asked).toHaveLength(3);
  });

  it('yields nothing for an empty table', async () => {
    expect(await collect(pageTable(fakeTable(0).fetch))).toEqual([]);
  });

  it('never asks for a page beyond 12000 rows and fails loudly when more rows exist', async () => {
    const table = fakeTable(20000);
    const rows: string[] = [];
    const error = await (async () => {
      for await (const page of pageTable(table.fetch, { pageSize: 5000 })) for (const r of page.rows) rows.push(r[0]!);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KalturaRowLimitError);
    expect(rows).toHaveLength(10000);
    expect(table.asked.every(([size, index]) => index === 1 || size * index <= 12000)).toBe(true);
  });

  it("stops quietly at the limit with onRowLimit: 'stop', and honours maxRows", async () => {
    expect(await collect(pageTable(fakeTable(20000).fetch, { pageSize: 500, onRowLimit: 'stop' }))).toHaveLength(12000);
    expect(await collect(pageTable(fakeTable(20000).fetch, { pageSize: 500, maxRows: 700 }))).toHaveLength(700);
  });

  it('clamps the page size to 12000', async () => {
    const table = fakeTable(100);
    await collect(pageTable(table.fetch, { pageSize: 50000 }));
    expect(table.asked[0]).toEqual([12000, 1]);
  });
});
