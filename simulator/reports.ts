/**
 * report.getTable / getTotal / getGraphs semantics and serialization (WIRE_FACTS §1).
 */
import { invalidEnum, apiError, missingParam } from './errors.js';
import type { Params } from './params.js';
import {
  DEFAULT_ENTRY_IDS,
  dimensionValue,
  formatMetric,
  isAverage,
  isBig,
  isQuiet,
  metricOf,
  metricValue,
  rowBase,
  type RowContext,
} from './synthetic.js';
import { bool, hash32, int, isRecord, mix, str, unit } from './util.js';

type RowKind = 'entry' | 'list' | 'user' | 'date' | 'partner';

interface ListValue {
  readonly key: string;
  readonly label: string;
  readonly extra?: string;
}

export interface ReportDef {
  readonly id: number;
  readonly name: string;
  readonly kind: RowKind;
  readonly dims: ReadonlyArray<string>;
  readonly metrics: ReadonlyArray<string>;
  readonly totals: ReadonlyArray<string>;
  /** Graph ids (one graph per metric), or a single by-name graph. */
  readonly graphs: ReadonlyArray<string> | { readonly byName: string; readonly metrics: ReadonlyArray<string> };
  readonly values?: ReadonlyArray<ListValue>;
  /** Empty getTable shape: 'bare' = only objectType; 'header' = header + data "" + totalCount 0. */
  readonly emptyTable: 'bare' | 'header';
}

const PLAY_METRICS = ['count_plays', 'sum_time_viewed', 'avg_time_viewed', 'count_loads', 'load_play_ratio', 'avg_view_drop_off'] as const;

const v = (key: string, label = key, extra?: string): ListValue => (extra === undefined ? { key, label } : { key, label, extra });

const DEVICES = [v('Computer'), v('Mobile'), v('Tablet'), v('Game console'), v('Digital media receiver'), v('Smart TV')];
const OSES = [v('Windows 10'), v('Mac OS X'), v('iOS 17'), v('Android 14'), v('Linux'), v('Chrome OS')];
const BROWSERS = [v('Chrome 120'), v('Safari 17'), v('Firefox 121'), v('Edge 120'), v('Samsung Internet'), v('Opera')];
const COUNTRIES = [
  v('US', 'United States', '38.0,-97.0'),
  v('DE', 'Germany', '51.0,9.0'),
  v('KR', 'Korea, Republic of', '37.0,127.5'),
  v('FR', 'France', '46.0,2.0'),
  v('JP', 'Japan', '36.0,138.0'),
  v('CI', "Côte d'Ivoire", '8.0,-5.0'),
  v('BR', 'Brazil', '-10.0,-55.0'),
];
const REGIONS = [v('CA', 'California', '37.0,-120.0'), v('BY', 'Bavaria', '48.8,11.5'), v('IDF', 'Île-de-France', '48.8,2.3'), v('TK', 'Tōkyō', '35.6,139.7')];
const CITIES = [v('NYC', 'New York', '40.7,-74.0'), v('BER', 'Berlin', '52.5,13.4'), v('SEL', 'Seoul', '37.5,127.0'), v('MTL', 'Montréal', '45.5,-73.6'), v('SAO', 'São Paulo', '-23.5,-46.6')];
const DOMAINS = [v('www.example.com'), v('intranet.acme.corp'), v('lms.university.edu'), v('blog.example.org; legacy'), v('partner|portal.example.net')];
const SOURCES = [v('Upload'), v('Webcam'), v('Kaltura Meeting'), v('Zoom'), v('Live')];
const RATES = [v('0.5'), v('1'), v('1.25'), v('1.5'), v('2')];

function def(id: number, name: string, kind: RowKind, dims: string[], metrics: readonly string[], extra: Partial<ReportDef> = {}): ReportDef {
  return {
    id,
    name,
    kind,
    dims,
    metrics,
    totals: extra.totals ?? metrics,
    graphs: extra.graphs ?? metrics,
    emptyTable: extra.emptyTable ?? 'bare',
    ...(extra.values ? { values: extra.values } : {}),
  };
}

const DEFS: ReportDef[] = [
  def(1, 'TOP_CONTENT', 'entry', ['object_id', 'entry_name'], PLAY_METRICS),
  def(2, 'CONTENT_DROPOFF', 'entry', ['object_id', 'entry_name'], ['count_plays', 'count_plays_25', 'count_plays_50', 'count_plays_75', 'count_plays_100', 'play_through_ratio'], {
    graphs: { byName: 'content_dropoff', metrics: ['count_plays', 'count_plays_25', 'count_plays_50', 'count_plays_75', 'count_plays_100', 'play_through_ratio'] },
  }),
  def(6, 'TOP_SYNDICATION', 'list', ['object_id', 'domain_name'], PLAY_METRICS, { values: DOMAINS }),
  def(13, 'USER_TOP_CONTENT', 'user', ['name', 'full_name'], ['count_plays', 'sum_time_viewed', 'avg_time_viewed', 'avg_view_drop_off', 'count_loads', 'load_play_ratio'], {
    emptyTable: 'header',
  }),
  def(21, 'PLATFORMS', 'list', ['device'], PLAY_METRICS, { values: DEVICES }),
  def(22, 'OPERATING_SYSTEM', 'list', ['os'], PLAY_METRICS, { values: OSES }),
  def(23, 'BROWSERS', 'list', ['browser'], PLAY_METRICS, { values: BROWSERS }),
  def(30, 'MAP_OVERLAY_CITY', 'list', ['object_id', 'city', 'coordinates'], PLAY_METRICS, { values: CITIES }),
  def(32, 'OPERATING_SYSTEM_FAMILIES', 'list', ['os_family'], PLAY_METRICS, { values: OSES }),
  def(33, 'BROWSERS_FAMILIES', 'list', ['browser_family'], PLAY_METRICS, { values: BROWSERS }),
  def(34, 'USER_ENGAGEMENT_TIMELINE', 'user', ['name', 'full_name'], ['count_plays', 'sum_time_viewed', 'avg_completion_rate'], { emptyTable: 'header' }),
  def(35, 'UNIQUE_USERS_PLAY', 'date', ['date_id'], ['unique_known_users', 'count_plays'], { graphs: ['unique_known_users'] }),
  def(36, 'MAP_OVERLAY_COUNTRY', 'list', ['object_id', 'country', 'coordinates'], PLAY_METRICS, { values: COUNTRIES }),
  def(37, 'MAP_OVERLAY_REGION', 'list', ['object_id', 'region', 'coordinates'], PLAY_METRICS, { values: REGIONS }),
  def(38, 'TOP_CONTENT_CREATOR', 'entry', ['object_id', 'entry_name', 'creator_name', 'created_at', 'status', 'media_type', 'duration_msecs', 'entry_source'], [
    'count_plays',
    'unique_known_users',
    'sum_time_viewed',
    'avg_time_viewed',
    'avg_completion_rate',
    'avg_view_drop_off',
    'count_loads',
    'load_play_ratio',
  ]),
  def(41, 'TOP_SOURCES', 'list', ['source'], ['count_plays', 'count_loads', 'sum_time_viewed'], { values: SOURCES }),
  def(45, 'PLAYER_RELATED_INTERACTIONS', 'entry', ['object_id', 'entry_name'], ['count_plays', 'count_viral', 'count_download', 'count_share', 'count_report']),
  def(46, 'PLAYBACK_RATE', 'list', ['playback_rate'], ['count_plays', 'sum_time_viewed'], { values: RATES }),
  // Partner-level (cross-account) reports of a parent account: one row per child partner, columns as
  // the multi-account guide §6.3 lists them. `objectIds` picks child partners (see `partnerRowIds`).
  def(19, 'VAR_USAGE', 'partner', ['partner_id'], ['count_plays', 'count_loads', 'count_contributions']),
  def(42, 'VPAAS_USAGE_MULTI', 'partner', ['partner_id'], ['count_plays', 'sum_time_viewed', 'count_loads']),
  def(60, 'SELF_SERVE_USAGE', 'partner', ['partner_id'], ['count_plays', 'sum_time_viewed', 'count_loads']),
  def(201, 'PARTNER_USAGE', 'partner', ['partner_id'], ['bandwidth_consumption', 'average_storage', 'combined_bandwidth_storage']),
];

/**
 * The 20000-range multi-account ("VPaaS") report types and the report each one mirrors, from the
 * `KalturaReportType` enum of the generated clients (`CONTENT_DROPOFF_VPAAS = 20001` ...
 * `SELF_SERVE_USAGE_VPAAS = 20023`). The seed §12.3 agrees (20001 dropoff, 20005 platforms,
 * 20011 unique users); the multi-account guide's table (20001 = 1, 20010 = top content) does not, and
 * the enum wins. The parent's KS gets the aggregate over its child accounts.
 */
export const MULTI_ACCOUNT_REPORT_TYPES: Readonly<Record<number, number>> = {
  20001: 2, 20002: 6, 20003: 13, 20004: 17, 20005: 21, 20006: 22, 20007: 23, 20008: 32, 20009: 33, 20010: 34, 20011: 35, 20012: 36,
  20013: 37, 20014: 30, 20015: 38, 20016: 39, 20017: 41, 20018: 44, 20019: 45, 20020: 46, 20021: 201, 20022: 25, 20023: 60,
};

/** The simulator's child accounts of partner `pid` (a parent with three children). */
export function childPartnerIds(pid: number): number[] {
  return [1, 2, 3].map((i) => pid * 100 + i);
}

const BY_ID = new Map<number, ReportDef>(DEFS.map((d) => [d.id, d]));

/** `KalturaReportType` is a dynamic string enum; these integer ranges are accepted. */
function isKnownReportType(id: number): boolean {
  return (id >= 1 && id <= 70) || (id >= 201 && id <= 210) || (id >= 10001 && id <= 10016) || (id >= 3000 && id <= 3020) || (id >= 4000 && id <= 4030) || (id >= 20001 && id <= 20023) || (id >= 40001 && id <= 40020) || (id >= 60001 && id <= 60020);
}

export function reportDef(reportType: unknown): ReportDef {
  const raw = str(reportType);
  if (raw === undefined || raw === '') throw missingParam('reportType');
  const id = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isInteger(id) || !isKnownReportType(id)) throw invalidEnum(raw, 'reportType', 'KalturaReportType');
  const mirrored = MULTI_ACCOUNT_REPORT_TYPES[id];
  if (mirrored !== undefined) {
    // Same columns as the mirrored report; its own id keeps the figures different (an aggregate over children).
    const base = BY_ID.get(mirrored) ?? def(mirrored, `REPORT_${mirrored}`, 'entry', ['object_id', 'entry_name'], ['count_plays', 'sum_time_viewed', 'avg_time_viewed', 'count_loads']);
    return { ...base, id, name: `${base.name}_VPAAS` };
  }
  return BY_ID.get(id) ?? def(id, `REPORT_${id}`, 'entry', ['object_id', 'entry_name'], ['count_plays', 'sum_time_viewed', 'avg_time_viewed', 'count_loads']);
}

const INTERVALS = ['years', 'months', 'days', 'hours', 'minutes', 'ten_seconds', 'ten_minutes'] as const;
type Interval = (typeof INTERVALS)[number];

/** The list fields of KalturaEndUserReportInputFilter that scope a report. */
const SCOPE_FIELDS = ['entryIdIn', 'categoriesIdsIn', 'userIds', 'virtualEventIdIn', 'playbackContextIdsIn', 'ownerIdsIn', 'rootEntryIdIn', 'entryCreatedAtIn'];

export interface ReportQuery {
  readonly def: ReportDef;
  readonly delimiter: string;
  readonly skipEmptyDates: boolean;
  readonly fromDate: number;
  readonly toDate: number;
  readonly timeZoneOffset: number;
  readonly interval: Interval;
  /** Entry ids in scope (entryIdIn + objectIds), quiet ones removed later. */
  readonly entryIds: ReadonlyArray<string>;
  /** No plays in scope. */
  readonly quiet: boolean;
  readonly big: boolean;
  readonly userIds: ReadonlyArray<string>;
  /** Seed of the whole query (scope + report + window). */
  readonly seed: number;
  /** `order` parameter, e.g. "-count_plays". */
  readonly order: string | undefined;
  /** Partner-level reports: the rows (child partner ids, narrowed by `objectIds`). */
  readonly partnerIds: ReadonlyArray<string>;
}

export function parseReportQuery(params: Params, bigRowCount: number, partnerId = 0): ReportQuery & { readonly bigRowCount: number } {
  const d = reportDef(params.reportType);
  const filter = params.reportInputFilter;
  if (!isRecord(filter)) throw missingParam('reportInputFilter');
  const options = isRecord(params.responseOptions) ? params.responseOptions : {};
  const delimiter = str(options.delimiter) || ',';
  const skipEmptyDates = bool(options.skipEmptyDates) ?? true;
  const intervalRaw = str(filter.interval);
  let interval: Interval = 'days';
  if (intervalRaw !== undefined && intervalRaw !== '') {
    if (!(INTERVALS as readonly string[]).includes(intervalRaw)) throw invalidEnum(intervalRaw, 'interval', 'KalturaReportInterval');
    interval = intervalRaw as Interval;
  }
  const now = Math.floor(Date.now() / 1000);
  const toDate = int(filter.toDate) ?? now;
  const fromDate = int(filter.fromDate) ?? toDate - 30 * 86400;
  const timeZoneOffset = int(filter.timeZoneOffset) ?? 0;
  const split = (value: unknown): string[] =>
    (Array.isArray(value) ? value.map((x) => str(x) ?? '') : (str(value) ?? '').split(delimiter)).map((x) => x.trim()).filter((x) => x !== '');
  // `objectIds` names the rows' objects: entries for entry reports, child partners for partner-level ones.
  const objectIds = split(params.objectIds);
  const children = childPartnerIds(partnerId).map(String);
  const partnerIds = d.kind === 'partner' ? (objectIds.length > 0 ? children.filter((c) => objectIds.includes(c)) : children) : [];
  const entryIds = d.kind === 'partner' ? split(filter.entryIdIn) : [...split(filter.entryIdIn), ...objectIds];
  let quiet = false;
  let big = false;
  const scopeParts: string[] = [];
  for (const field of SCOPE_FIELDS) {
    const values = field === 'entryIdIn' ? entryIds : split(filter[field]);
    if (values.length === 0) continue;
    scopeParts.push(`${field}=${values.join(',')}`);
    if (values.every(isQuiet)) quiet = true;
    if (values.some(isBig)) big = true;
  }
  if (d.kind === 'entry' && entryIds.length === 0) {
    const userScope = split(filter.userIds);
    if (userScope.some(isBig)) big = true;
  }
  for (const [k, value] of Object.entries(filter)) {
    if (!SCOPE_FIELDS.includes(k) && !['fromDate', 'toDate', 'objectType', 'interval', 'timeZoneOffset', 'fromDay', 'toDay'].includes(k)) scopeParts.push(`${k}=${str(value) ?? ''}`);
  }
  if (d.kind === 'partner' && objectIds.length > 0) scopeParts.push(`objectIds=${objectIds.join(',')}`);
  const seed = hash32(`${d.id}|${fromDate}|${toDate}|${timeZoneOffset}|${scopeParts.join('&')}`);
  return {
    def: d,
    delimiter,
    skipEmptyDates,
    fromDate,
    toDate,
    timeZoneOffset,
    interval,
    entryIds,
    quiet,
    big,
    userIds: split(filter.userIds),
    seed,
    order: str(params.order),
    partnerIds,
    bigRowCount,
  };
}

/** Table model: rows generated on demand, so `big` tables never live in memory. */
export interface TableModel {
  readonly header: ReadonlyArray<string>;
  readonly rowCount: number;
  rowAt(index: number): string[];
}

function windowDays(q: ReportQuery): string[] {
  const out: string[] = [];
  const offset = q.timeZoneOffset * 60;
  let day = Math.floor((q.fromDate - offset) / 86400);
  const last = Math.floor((q.toDate - offset) / 86400);
  while (day <= last && out.length < 3660) {
    out.push(new Date(day * 86400000).toISOString().slice(0, 10).replace(/-/g, ''));
    day++;
  }
  return out;
}

export function tableModel(q: ReportQuery & { readonly bigRowCount: number }): TableModel {
  const d = q.def;
  const header = [...d.dims, ...d.metrics];
  if (q.quiet) return { header, rowCount: 0, rowAt: () => [] };
  let keys: ReadonlyArray<ListValue> | undefined;
  let count: number;
  const bigKey = q.entryIds.find(isBig) ?? 'big';
  if (q.big) count = q.bigRowCount;
  else {
    switch (d.kind) {
      case 'entry': {
        const ids = q.entryIds.filter((id) => !isQuiet(id));
        keys = (ids.length > 0 ? ids : DEFAULT_ENTRY_IDS).map((id) => v(id));
        break;
      }
      case 'user': {
        const users = q.userIds.length > 0 ? q.userIds : Array.from({ length: 24 }, (_, i) => `user${String(i + 1).padStart(2, '0')}@example.com`);
        const names = ['Ana Souza', 'Björn Ödegaard', 'Chen Wei 陈伟', "Conor O'Brien", 'Dana "DJ" Jones', 'Élodie Martin, PhD'];
        keys = users.map((u, i) => v(u, names[i % names.length] ?? u));
        break;
      }
      case 'date':
        keys = windowDays(q).map((day) => v(day));
        break;
      case 'partner':
        keys = q.partnerIds.map((id) => v(id));
        break;
      default:
        keys = d.values ?? [];
    }
    count = keys.length;
  }
  const rowAt = (index: number): string[] => {
    let row: RowContext;
    if (keys) {
      const k = keys[index] ?? v(String(index));
      row = { seed: mix(q.seed, hash32(k.key)), index, key: k.key, label: k.label, ...(k.extra !== undefined ? { extra: k.extra } : {}) };
    } else {
      const key = d.kind === 'entry' ? `${bigKey}_${index}` : d.kind === 'user' ? `user${index}@example.com` : d.kind === 'date' ? String(20000101 + index) : `${d.values?.[index % (d.values.length || 1)]?.key ?? 'value'} ${index}`;
      row = { seed: mix(q.seed, index), index, key, label: key, extra: `${(index % 180) - 90}.0,${(index % 360) - 180}.0` };
    }
    const out: string[] = [];
    for (const name of d.dims) out.push(dimensionValue(name, row));
    const base = rowBase(row.seed, q.big ? 0.01 : 1);
    for (const name of d.metrics) out.push(formatMetric(metricOf(name, base)));
    return out;
  };
  if (keys && count <= 5000 && d.kind !== 'date') {
    // Small tables are materialised and sorted: by `order` (e.g. "-count_plays", "+entry_name"), else by the first metric, descending.
    const order = q.order && q.order !== '' ? q.order : `-${d.metrics[0] ?? ''}`;
    const col = header.indexOf(order.replace(/^[+-]/, ''));
    const rows = Array.from({ length: count }, (_, i) => rowAt(i));
    if (col >= 0) {
      const dir = order.startsWith('-') ? -1 : 1;
      const numeric = rows.every((r) => r[col] !== undefined && r[col] !== '' && !Number.isNaN(Number(r[col])));
      rows.sort((a, b) => dir * (numeric ? Number(a[col]) - Number(b[col]) : (a[col] ?? '').localeCompare(b[col] ?? '')));
    }
    return { header, rowCount: count, rowAt: (index) => rows[index] ?? [] };
  }
  return { header, rowCount: count, rowAt };
}

/** Totals: aggregated over the rows (or estimated from the seed for `big` tables). */
export function totalValues(q: ReportQuery & { readonly bigRowCount: number }): string[] | undefined {
  const d = q.def;
  if (q.quiet) return undefined;
  const table = tableModel(q);
  const metricIndex = new Map(d.metrics.map((m, i) => [m, d.dims.length + i]));
  return d.totals.map((name) => {
    const col = metricIndex.get(name);
    if (col === undefined || table.rowCount > 5000) {
      const one = metricValue(name, q.seed, q.big ? 0.01 : 1);
      return formatMetric(isAverage(name) ? one : Math.round(one * Math.max(1, table.rowCount) * 100) / 100);
    }
    let sum = 0;
    for (let i = 0; i < table.rowCount; i++) sum += Number(table.rowAt(i)[col]);
    const value = isAverage(name) ? sum / Math.max(1, table.rowCount) : sum;
    return formatMetric(Math.round(value * 10000) / 10000);
  });
}

/** Replaces the delimiter and `;` inside a table cell by a space, as KalturaReportTable does. */
export function sanitizeCell(value: string, delimiter: string): string {
  let out = value.split(delimiter).join(' ');
  if (out.includes(';')) out = out.replace(/;/g, ' ');
  return out;
}

export function serializeTotal(q: ReportQuery & { readonly bigRowCount: number }): Record<string, unknown> {
  const header = q.def.totals.join(q.delimiter);
  const values = totalValues(q);
  if (values === undefined) {
    const data = q.skipEmptyDates ? q.def.totals.map(() => '').join(q.delimiter) : q.def.totals.map(() => '0').join(q.delimiter);
    return { header, data, objectType: 'KalturaReportTotal' };
  }
  return { header, data: values.join(q.delimiter), objectType: 'KalturaReportTotal' };
}

export const MAX_RESULT_SIZE = 12000;

export function serializeTable(q: ReportQuery & { readonly bigRowCount: number }, pager: unknown): Record<string, unknown> {
  if (!isRecord(pager)) throw missingParam('pager');
  let pageSize = int(pager.pageSize) ?? 30;
  let pageIndex = int(pager.pageIndex) ?? 1;
  if (pageSize <= 0) pageSize = 10;
  if (pageIndex <= 0) pageIndex = 1;
  if (pageIndex * pageSize > MAX_RESULT_SIZE) {
    if (pageIndex === 1) pageSize = MAX_RESULT_SIZE;
    else throw apiError('INTERNAL_SERVERL_ERROR');
  }
  const table = tableModel(q);
  const start = (pageIndex - 1) * pageSize;
  const end = Math.min(table.rowCount, start + pageSize);
  if (start >= end) {
    if (q.def.emptyTable === 'header' && table.rowCount === 0) return { header: table.header.join(q.delimiter), data: '', totalCount: 0, objectType: 'KalturaReportTable' };
    return { objectType: 'KalturaReportTable' };
  }
  const parts: string[] = [];
  for (let i = start; i < end; i++) parts.push(table.rowAt(i).map((c) => sanitizeCell(c, q.delimiter)).join(q.delimiter) + ';');
  return { header: table.header.join(q.delimiter), data: parts.join(''), totalCount: table.rowCount, objectType: 'KalturaReportTable' };
}

/** Bucket labels of a time-series graph (in the filter's timezone). */
export function graphLabels(q: ReportQuery): string[] {
  const offset = q.timeZoneOffset * 60;
  const from = q.fromDate - offset;
  const to = q.toDate - offset;
  const labels: string[] = [];
  const cap = 5000;
  const iso = (t: number): string => new Date(t * 1000).toISOString().slice(0, 19).replace(/-/g, '').replace(/T/, '');
  switch (q.interval) {
    case 'days':
      return windowDays(q);
    case 'hours':
      for (let t = Math.floor(from / 3600) * 3600; t <= to && labels.length < cap; t += 3600) labels.push(iso(t).slice(0, 10));
      return labels;
    case 'months':
    case 'years': {
      const start = new Date(from * 1000);
      const end = new Date(to * 1000);
      let y = start.getUTCFullYear();
      let m = q.interval === 'years' ? 0 : start.getUTCMonth();
      while ((y < end.getUTCFullYear() || (y === end.getUTCFullYear() && (q.interval === 'years' || m <= end.getUTCMonth()))) && labels.length < cap) {
        labels.push(q.interval === 'years' ? String(y) : `${y}${String(m + 1).padStart(2, '0')}`);
        if (q.interval === 'years') y++;
        else if (++m === 12) {
          m = 0;
          y++;
        }
      }
      return labels;
    }
    default: {
      const step = q.interval === 'minutes' ? 60 : q.interval === 'ten_minutes' ? 600 : 10;
      for (let t = Math.floor(q.fromDate / step) * step; t <= q.toDate && labels.length < cap; t += step) labels.push(new Date(t * 1000).toISOString());
      return labels;
    }
  }
}

export function serializeGraphs(q: ReportQuery & { readonly bigRowCount: number }): Array<Record<string, unknown>> {
  const d = q.def;
  const D = q.delimiter;
  if (!Array.isArray(d.graphs)) {
    const byName = d.graphs as { byName: string; metrics: ReadonlyArray<string> };
    const totals = totalValues(q);
    const index = new Map(d.totals.map((m, i) => [m, i]));
    const data = byName.metrics.map((m) => `${m}${D}${totals ? (totals[index.get(m) ?? -1] ?? formatMetric(metricValue(m, q.seed))) : '0'};`).join('');
    return [{ id: byName.byName, data, objectType: 'KalturaReportGraph' }];
  }
  const metrics = d.graphs as ReadonlyArray<string>;
  if (q.quiet) return metrics.map((id) => ({ id, data: '', objectType: 'KalturaReportGraph' }));
  const labels = graphLabels(q);
  const parts = metrics.map(() => [] as string[]);
  for (const label of labels) {
    const bucketSeed = mix(q.seed, hash32(label));
    const empty = unit(bucketSeed, 99) < 0.1;
    if (empty && q.skipEmptyDates) continue;
    metrics.forEach((m, i) => {
      const value = empty ? '0' : formatMetric(metricValue(m, bucketSeed, 0.1));
      parts[i]?.push(`${label}${D}${value};`);
    });
  }
  return metrics.map((id, i) => ({ id, data: (parts[i] ?? []).join(''), objectType: 'KalturaReportGraph' }));
}
