/**
 * All pages of report.getTable as an async iterator: one page in memory at a time.
 *
 * Kaltura serves at most 12000 rows through getTable (WIRE_FACTS §1.5): page 1 is clamped to 12000,
 * and a later page with pageIndex*pageSize > 12000 fails with INTERNAL_SERVERL_ERROR. The pager
 * never asks for such a page. When more rows exist it throws KalturaRowLimitError after the last
 * reachable page (or stops quietly with `onRowLimit: 'stop'`), so an export is never silently short.
 *
 * The end is the first page that is empty (the `{"objectType":"KalturaReportTable"}` shape), shorter
 * than pageSize, or that reaches totalCount (when Kaltura sent one: it can be 0 with data, §1.5).
 */
import type { ReportTablePage } from './kaltura-api.js';
import { KalturaRowLimitError } from './errors.js';
import { MAX_TABLE_ROWS } from './report-requests.js';

export interface TablePagerOptions {
  readonly pageSize?: number;
  readonly maxRows?: number;
  readonly onRowLimit?: 'error' | 'stop';
  /** Rows the server will serve through getTable; 12000 on the real server. */
  readonly rowLimit?: number;
}

export async function* pageTable(fetchPage: (pageSize: number, pageIndex: number) => Promise<ReportTablePage>, options: TablePagerOptions = {}): AsyncGenerator<ReportTablePage> {
  const rowLimit = options.rowLimit ?? MAX_TABLE_ROWS;
  const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
  const pageSize = Math.max(1, Math.min(options.pageSize ?? 500, rowLimit, maxRows));
  let read = 0;
  let lastTotal = 0;
  for (let pageIndex = 1; ; pageIndex++) {
    if (pageIndex * pageSize > rowLimit && pageIndex > 1) {
      // The next page is out of reach. Was there more?
      if (lastTotal > read && options.onRowLimit !== 'stop' && read < maxRows) throw new KalturaRowLimitError(read, lastTotal);
      if (lastTotal === 0 && options.onRowLimit !== 'stop' && read < maxRows) throw new KalturaRowLimitError(read, lastTotal);
      return;
    }
    const page = await fetchPage(pageSize, pageIndex);
    if (page.totalCount > 0) lastTotal = page.totalCount;
    let rows = page.rows;
    if (read + rows.length > maxRows) rows = rows.slice(0, maxRows - read);
    if (rows.length > 0) {
      read += rows.length;
      yield rows === page.rows ? page : { ...page, rows };
    }
    if (page.rows.length < pageSize || read >= maxRows) return;
    if (page.totalCount > 0 && read >= page.totalCount) return;
  }
}
