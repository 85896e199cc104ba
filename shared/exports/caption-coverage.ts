/**
 * Accessibility coverage (seed §15.10): the entries that have no caption track, ranked by plays.
 *
 * 1. `elasticsearch_esearch.searchEntry` with a NOT operator around a caption EXISTS item
 *    (`KalturaESearchCaptionItem`, `itemType` 4 = EXISTS in `KalturaESearchItemType`; the seed's
 *    `itemType=3` is STARTS_WITH, which needs a search term), 500 entries a page.
 * 2. The ranking report (default 38 TOP_CONTENT_CREATOR, `-count_plays`) over the window with
 *    `entryIdIn` = those ids, in chunks (the filter is one delimiter-joined string).
 * 3. One CSV row per uncaptioned entry, most played first: the report's columns; an entry without
 *    plays in the window has no report row, so it gets its id, its name (from eSearch) and 0 in
 *    the ranking column, and comes last.
 *
 * Memory: the uncaptioned entries (at most `maxEntries`, default 10000) and their report rows.
 */
import type { KalturaApi, ReportInputFilter, ReportTablePage } from '../kaltura/kaltura-api.js';
import { ReportingError } from '../errors/base-error.js';

export const ESEARCH_PAGE_SIZE = 500;
const ENTRY_CHUNK = 200;

/** The eSearch query that finds entries with no caption asset. */
export const UNCAPTIONED_SEARCH = {
  objectType: 'KalturaESearchEntryParams',
  searchOperator: {
    objectType: 'KalturaESearchEntryOperator',
    operator: 3, // NOT_OP
    searchItems: [{ objectType: 'KalturaESearchCaptionItem', fieldName: 'content', itemType: 4 /* EXISTS */ }],
  },
} as const;

export class ESearchResponseError extends ReportingError {
  readonly retryable = true;
  constructor() {
    super('eSearch searchEntry did not answer a KalturaESearchEntryResponse (objects); the export will be retried. If it persists, check that the partner has eSearch enabled.');
  }
}

export interface UncaptionedEntry {
  readonly id: string;
  readonly name: string;
}

/** All entries without captions (eSearch), up to `max`. */
export async function listUncaptionedEntries(api: KalturaApi, max: number): Promise<UncaptionedEntry[]> {
  const out: UncaptionedEntry[] = [];
  for (let pageIndex = 1; out.length < max; pageIndex++) {
    const result = (await api.call('elasticsearch_esearch', 'searchEntry', {
      searchParams: UNCAPTIONED_SEARCH,
      pager: { objectType: 'KalturaPager', pageSize: ESEARCH_PAGE_SIZE, pageIndex },
    })) as { objects?: unknown; totalCount?: unknown } | null;
    const objects = result?.objects;
    if (objects === undefined) break; // an empty page: nulls (and empty arrays' absence) are dropped
    if (!Array.isArray(objects)) throw new ESearchResponseError();
    for (const item of objects as Array<{ object?: { id?: unknown; name?: unknown } }>) {
      const id = item?.object?.id;
      if (typeof id === 'string') out.push({ id, name: typeof item.object?.name === 'string' ? item.object.name : '' });
      if (out.length >= max) break;
    }
    const total = typeof result?.totalCount === 'number' ? result.totalCount : 0;
    if (objects.length < ESEARCH_PAGE_SIZE || pageIndex * ESEARCH_PAGE_SIZE >= total) break;
  }
  return out;
}

/** The ranked table of uncaptioned entries, as one page for the CSV writer. */
export async function rankUncaptioned(
  api: KalturaApi,
  entries: ReadonlyArray<UncaptionedEntry>,
  request: { reportType: number | string; filter: ReportInputFilter; order: string },
): Promise<ReportTablePage> {
  let header: ReadonlyArray<string> = [];
  const rows: string[][] = [];
  for (let i = 0; i < entries.length; i += ENTRY_CHUNK) {
    const ids = entries.slice(i, i + ENTRY_CHUNK).map((e) => e.id);
    for await (const page of api.iterateTable({ reportType: request.reportType, filter: { ...request.filter, entryIdIn: ids }, order: request.order, pageSize: 500 })) {
      if (header.length === 0) header = page.header;
      rows.push(...page.rows.map((r) => [...r]));
    }
  }
  if (header.length === 0) header = ['object_id', 'entry_name', request.order.replace(/^[+-]/, '')];
  const idCol = Math.max(0, header.indexOf('object_id'));
  const nameCol = header.indexOf('entry_name');
  const rankCol = header.indexOf(request.order.replace(/^[+-]/, ''));
  const seen = new Set(rows.map((r) => r[idCol]));
  const descending = !request.order.startsWith('+');
  rows.sort((a, b) => {
    const x = Number(a[rankCol] ?? 0) || 0;
    const y = Number(b[rankCol] ?? 0) || 0;
    return descending ? y - x : x - y;
  });
  for (const e of entries) {
    if (seen.has(e.id)) continue;
    const row = header.map(() => '');
    row[idCol] = e.id;
    if (nameCol >= 0) row[nameCol] = e.name;
    if (rankCol >= 0) row[rankCol] = '0';
    rows.push(row);
  }
  return { pageIndex: 1, header, rows, totalCount: rows.length };
}
