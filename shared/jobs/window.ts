/**
 * Reporting windows in a timezone, without a date library.
 *
 * All arithmetic is on the *wall-clock calendar* of the timezone (days, weeks, months), then each
 * boundary is converted to an instant. That keeps "previous week" seven calendar days even when a
 * daylight-saving change makes it 167 or 169 hours long, and makes windows whole days, so the same
 * job on the same day always gets the same window (deterministic S3 keys and job ids).
 */
import type { WindowSpec } from '../config/schema.js';
import type { JobWindow } from './job-message.js';

interface WallClock {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
}

/** Whether `tz` is an IANA timezone this runtime knows (the check every configuration and CLI input gets). */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock in `timeZone` at instant `ms`, from Intl (slow: ~15 µs a call). */
function wallClockFromIntl(ms: number, timeZone: string): WallClock & { second: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute!, second: parts.second! };
}

/**
 * UTC offsets cached per 15-minute bucket: timezone transitions happen on quarter-hour boundaries,
 * so an offset read at a bucket's start holds for the whole bucket. One window needs ~10 wall-clock
 * conversions; with Intl each time that was most of the webhook receiver's CPU per notification.
 */
const BUCKET_MS = 15 * 60_000;
const offsetCache = new Map<string, Map<number, number>>();
function bucketOffset(ms: number, timeZone: string): number {
  const start = Math.floor(ms / BUCKET_MS) * BUCKET_MS;
  let zone = offsetCache.get(timeZone);
  if (!zone) offsetCache.set(timeZone, (zone = new Map()));
  let offset = zone.get(start);
  if (offset === undefined) {
    const w = wallClockFromIntl(start, timeZone);
    offset = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - start;
    if (zone.size > 20_000) zone.clear();
    zone.set(start, offset);
  }
  return offset;
}

/** The wall clock in `timeZone` at instant `ms`. */
export function wallClockAt(ms: number, timeZone: string): WallClock & { second: number } {
  const local = new Date(Math.floor(ms / 1000) * 1000 + bucketOffset(ms, timeZone));
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate(), hour: local.getUTCHours(), minute: local.getUTCMinutes(), second: local.getUTCSeconds() };
}

/** Offset of `timeZone` from UTC at instant `ms`, in milliseconds (local = UTC + offset). */
export function offsetAt(ms: number, timeZone: string): number {
  const w = wallClockAt(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `timeZone` shows `w`. Day/month overflow is normalised
 * (day 0 = last day of the previous month). In a spring-forward gap (the time does not exist) the
 * time is moved forward by the length of the gap (02:30 -> 03:30; a whole hour such as a midnight
 * that does not exist becomes the first instant after the gap); in a fall-back overlap, the
 * earlier instant.
 */
export function instantOf(w: WallClock, timeZone: string): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  let guess = asUtc - offsetAt(asUtc, timeZone);
  // Two corrections are enough: offsets change at most once near any instant we care about.
  for (let i = 0; i < 2; i++) {
    const next = asUtc - offsetAt(guess, timeZone);
    if (next === guess) break;
    guess = next;
  }
  // Prefer the earlier of two candidates when the wall time is ambiguous (fall back).
  const earlier = guess - 3600_000;
  const e = wallClockAt(earlier, timeZone);
  if (e.year === w.year && e.month === w.month && e.day === w.day && e.hour === w.hour && e.minute === w.minute) return earlier;
  return guess;
}

function startOfDay(year: number, month: number, day: number, timeZone: string): number {
  return instantOf({ year, month, day, hour: 0, minute: 0 }, timeZone);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DD` of the instant in the timezone. */
export function localDay(ms: number, timeZone: string): string {
  const w = wallClockAt(ms, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

function label(fromMs: number, toMs: number, timeZone: string, hourly: boolean): string {
  const fmt = (ms: number) => {
    const w = wallClockAt(ms, timeZone);
    const day = `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
    return hourly ? `${day}T${pad(w.hour)}${pad(w.minute)}` : day;
  };
  return `${fmt(fromMs)}_${fmt(toMs)}`;
}

/** ISO weekday, Monday = 1 .. Sunday = 7, of a calendar date. */
function isoWeekday(year: number, month: number, day: number): number {
  const d = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return d === 0 ? 7 : d;
}

/**
 * The window `spec` describes, evaluated at instant `at` in `timeZone`. `[from, to)` in unix seconds.
 */
export function computeWindow(spec: WindowSpec, at: Date, timeZone: string): JobWindow {
  const specKey = typeof spec === 'string' ? spec : 'lastDays' in spec ? `d${spec.lastDays}${spec.includeCurrent ? '+' : ''}` : `h${spec.lastHours}${spec.includeCurrent ? '+' : ''}`;
  const cacheKey = `${timeZone}|${windowBucket(at)}|${specKey}`;
  const cached = windowCache.get(cacheKey);
  if (cached) return { ...cached };
  const window = computeWindowUncached(spec, at, timeZone);
  if (windowCache.size > 5000) windowCache.clear();
  windowCache.set(cacheKey, window);
  return { ...window };
}

const windowCache = new Map<string, JobWindow>();

/**
 * A window depends only on the local day or hour of `at`; local days and hours start on UTC
 * quarter-hours in every timezone, so `computeWindow` gives the same result for every `at` with
 * the same bucket (a callers' cache key).
 */
export function windowBucket(at: Date): number {
  return Math.floor(at.getTime() / BUCKET_MS);
}

function computeWindowUncached(spec: WindowSpec, at: Date, timeZone: string): JobWindow {
  const now = at.getTime();
  const w = wallClockAt(now, timeZone);
  const make = (fromMs: number, toMs: number, hourly = false): JobWindow => ({
    from: Math.floor(fromMs / 1000),
    to: Math.floor(toMs / 1000),
    timezone: timeZone,
    label: label(fromMs, toMs, timeZone, hourly),
    timeZoneOffset: offsetMinutesAt(Math.floor(fromMs / 1000) * 1000, timeZone),
  });

  if (typeof spec === 'string') {
    switch (spec) {
      case 'previous-day':
        return make(startOfDay(w.year, w.month, w.day - 1, timeZone), startOfDay(w.year, w.month, w.day, timeZone));
      case 'previous-week': {
        const monday = w.day - (isoWeekday(w.year, w.month, w.day) - 1);
        return make(startOfDay(w.year, w.month, monday - 7, timeZone), startOfDay(w.year, w.month, monday, timeZone));
      }
      case 'previous-month':
        return make(startOfDay(w.year, w.month - 1, 1, timeZone), startOfDay(w.year, w.month, 1, timeZone));
      case 'week-to-date': {
        const monday = w.day - (isoWeekday(w.year, w.month, w.day) - 1);
        return make(startOfDay(w.year, w.month, monday, timeZone), startOfDay(w.year, w.month, w.day + 1, timeZone));
      }
    }
  }
  if ('lastDays' in spec) {
    const endDay = spec.includeCurrent ? w.day + 1 : w.day;
    return make(startOfDay(w.year, w.month, endDay - spec.lastDays, timeZone), startOfDay(w.year, w.month, endDay, timeZone));
  }
  // lastHours: whole local hours. Arithmetic in real hours, since "the last 6 hours" means elapsed time.
  const hourStart = instantOf({ year: w.year, month: w.month, day: w.day, hour: w.hour, minute: 0 }, timeZone);
  const end = spec.includeCurrent ? hourStart + 3600_000 : hourStart;
  return make(end - spec.lastHours * 3600_000, end, true);
}

/** The window of the same length immediately before `window` (for "change versus the previous period"). */
export function previousWindow(window: JobWindow): JobWindow {
  const length = window.to - window.from;
  const hourly = window.label.includes('T');
  const fromMs = (window.from - length) * 1000;
  const toMs = window.from * 1000;
  return { from: window.from - length, to: window.from, timezone: window.timezone, label: label(fromMs, toMs, window.timezone, hourly) };
}

/**
 * Kaltura's `timeZoneOffset` report filter field: minutes, UTC minus local (New York in winter = 300).
 * Taken at the start of the window: the one the job carries, else computed (older jobs).
 */
export function kalturaTimeZoneOffset(window: Pick<JobWindow, 'from' | 'timezone' | 'timeZoneOffset'>): number {
  return window.timeZoneOffset ?? offsetMinutesAt(window.from * 1000, window.timezone);
}

function offsetMinutesAt(ms: number, timeZone: string): number {
  return -Math.round(offsetAt(ms, timeZone) / 60_000) || 0;
}
