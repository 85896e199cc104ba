/**
 * Enrichment the project does itself: user and entry metadata joined into a table export, page by
 * page, as extra columns `user.<field>` and `entry.<field>` (docs/exports.md, "Enrichment").
 *
 * What the server already computes: the enriched string-params reports 3006-3008 carry
 * `first_name`, `last_name`, `company`, `email` (seed §9.2), and the Reports Microservice's
 * `reportsEnrichment` produces enriched data sets (seed §10.2). Any other report (13 per-user
 * engagement, 34 timeline, 38 top content, …) has only ids and names: the project looks the ids of
 * each page up with `user.list` / `baseEntry.list` (`idIn`, at most 500 ids a call) and appends the
 * fields. One page in memory, as for plain table exports; ids unknown to Kaltura get empty cells.
 */
import type { Enrich } from '../config/schema.js';
import type { KalturaApi, ReportTablePage } from '../kaltura/kaltura-api.js';
import { ReportingError } from '../errors/base-error.js';

/** A response of `user.list` / `baseEntry.list` that is not a list. */
export class EnrichmentLookupError extends ReportingError {
  readonly retryable = true;
  constructor(what: string) {
    super(`Enrichment: ${what} did not answer a list (objects); the export will be retried. If it persists, check that the KS may call ${what}.`);
  }
}

const LOOKUP_BATCH = 500;

type Lookup = (ids: ReadonlyArray<string>) => Promise<Map<string, Record<string, unknown>>>;

function listLookup(api: KalturaApi, service: string, filterType: string): Lookup {
  return async (ids) => {
    const found = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < ids.length; i += LOOKUP_BATCH) {
      const batch = ids.slice(i, i + LOOKUP_BATCH);
      const result = await api.call(service, 'list', { filter: { objectType: filterType, idIn: batch.join(',') }, pager: { objectType: 'KalturaFilterPager', pageSize: LOOKUP_BATCH, pageIndex: 1 } });
      const objects = (result as { objects?: unknown } | null)?.objects;
      if (objects !== undefined && !Array.isArray(objects)) throw new EnrichmentLookupError(`${service}.list`);
      for (const o of (objects ?? []) as Array<Record<string, unknown>>) if (typeof o?.id === 'string') found.set(o.id, o);
    }
    return found;
  };
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function pickColumn(header: ReadonlyArray<string>, configured: string | undefined, defaults: ReadonlyArray<string>, what: string): number {
  if (configured !== undefined) {
    const i = header.indexOf(configured);
    if (i < 0) throw new EnrichmentColumnError(what, configured, header);
    return i;
  }
  for (const name of defaults) {
    const i = header.indexOf(name);
    if (i >= 0) return i;
  }
  throw new EnrichmentColumnError(what, defaults.join(' or '), header);
}

/** The report has no column with the ids to join on. */
export class EnrichmentColumnError extends ReportingError {
  readonly retryable = false;
  constructor(what: string, column: string, header: ReadonlyArray<string>) {
    super(`Enrichment: the report has no ${what} column "${column}" (its columns: ${header.join(', ')}); set enrich.${what === 'user id' ? 'userColumn' : 'entryColumn'} to one of them.`);
  }
}

/** The extra column names an `enrich` block adds, in order. */
export function enrichColumns(enrich: Enrich): string[] {
  return [...(enrich.users ?? []).map((f) => `user.${f}`), ...(enrich.entries ?? []).map((f) => `entry.${f}`)];
}

/** Wraps table pages: every row gets the configured user/entry fields appended. */
export async function* enrichPages(api: KalturaApi, pages: AsyncIterable<ReportTablePage>, enrich: Enrich): AsyncGenerator<ReportTablePage> {
  const users = enrich.users ?? [];
  const entries = enrich.entries ?? [];
  const lookUsers = listLookup(api, 'user', 'KalturaUserFilter');
  const lookEntries = listLookup(api, 'baseEntry', 'KalturaBaseEntryFilter');
  for await (const page of pages) {
    const userCol = users.length > 0 ? pickColumn(page.header, enrich.userColumn, ['user_id', 'name'], 'user id') : -1;
    const entryCol = entries.length > 0 ? pickColumn(page.header, enrich.entryColumn, ['entry_id', 'object_id'], 'entry id') : -1;
    const idsAt = (col: number) => [...new Set(page.rows.map((r) => r[col] ?? '').filter((id) => id !== ''))];
    const [userMap, entryMap] = await Promise.all([
      userCol >= 0 ? lookUsers(idsAt(userCol)) : Promise.resolve(new Map<string, Record<string, unknown>>()),
      entryCol >= 0 ? lookEntries(idsAt(entryCol)) : Promise.resolve(new Map<string, Record<string, unknown>>()),
    ]);
    yield {
      ...page,
      header: [...page.header, ...enrichColumns(enrich)],
      rows: page.rows.map((row) => {
        const user = userCol >= 0 ? userMap.get(row[userCol] ?? '') : undefined;
        const entry = entryCol >= 0 ? entryMap.get(row[entryCol] ?? '') : undefined;
        return [...row, ...users.map((f) => cell(user?.[f])), ...entries.map((f) => cell(entry?.[f]))];
      }),
    };
  }
}
