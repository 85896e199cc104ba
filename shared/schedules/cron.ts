/**
 * Five-field cron (`minute hour day-of-month month day-of-week`) in an IANA timezone, for the local
 * scheduler (`npm start`) and for validating the configuration; in AWS, EventBridge Scheduler fires
 * the same expressions (`toEventBridgeCron`) in the same timezone.
 *
 * Fields: `*`, numbers, ranges `a-b`, lists `a,b`, steps `*\/n`, `a-b/n`, `a/n`; months `JAN`-`DEC`;
 * weekdays `SUN`-`SAT` or 0-7 (0 and 7 are Sunday). Day-of-month and day-of-week cannot both be
 * restricted (EventBridge cannot express cron's "either" rule): use `*` for one of them.
 *
 * Daylight saving: times are wall-clock times in the timezone. A time that does not exist (spring
 * forward, e.g. 02:30 in New York on the second Sunday of March) fires once, moved forward by the
 * length of the gap (03:30 EDT; JavaScript Temporal's "compatible" rule); a time that exists twice
 * (fall back) fires once, at its first occurrence. So a daily or weekly schedule fires exactly once
 * per day or week, whatever the clocks do.
 */
import { ReportingError } from '../errors/base-error.js';
import { instantOf, wallClockAt } from '../jobs/window.js';

export class CronError extends ReportingError {
  readonly retryable = false;
}

export interface CronExpression {
  readonly source: string;
  readonly minutes: ReadonlyArray<number>;
  readonly hours: ReadonlyArray<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday .. 6 = Saturday. */
  readonly daysOfWeek: ReadonlySet<number>;
  readonly domRestricted: boolean;
  readonly dowRestricted: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function parseField(text: string, name: string, min: number, max: number, names?: ReadonlyArray<string>, namesBase = 0): number[] {
  const values = new Set<number>();
  const value = (token: string): number => {
    const upper = token.toUpperCase();
    if (names) {
      const i = names.indexOf(upper);
      if (i >= 0) return i + namesBase;
    }
    if (!/^\d+$/.test(token)) throw new CronError(`${name} "${token}" is not a number${names ? ` or a name (${names[0]}..${names[names.length - 1]})` : ''}`);
    const n = Number(token);
    if (n < min || n > max) throw new CronError(`${name} ${n} is out of range ${min}-${max}`);
    return n;
  };
  for (const part of text.split(',')) {
    if (part === '') throw new CronError(`${name} has an empty list item`);
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronError(`${name} "${part}" has more than one "/"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw new CronError(`${name} step "${stepText}" must be a whole number >= 1`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = min;
      hi = max;
    } else if (range!.includes('-')) {
      const [a, b, more] = range!.split('-');
      if (more !== undefined || a === undefined || b === undefined) throw new CronError(`${name} range "${range}" must be a-b`);
      lo = value(a);
      hi = value(b);
      if (lo > hi) throw new CronError(`${name} range "${range}" goes backwards`);
    } else {
      lo = value(range!);
      hi = stepText !== undefined ? max : lo;
    }
    for (let n = lo; n <= hi; n += step) values.add(n);
  }
  return [...values].sort((a, b) => a - b);
}

/** Parses a five-field cron expression; throws CronError with the field and the reason. */
export function parseCron(source: string): CronExpression {
  const fields = source.trim().split(/\s+/);
  if (fields.length !== 5) throw new CronError(`"${source}" has ${fields.length} fields; expected 5 (minute hour day-of-month month day-of-week), e.g. "0 6 * * 1"`);
  const [mi, ho, dom, mo, dow] = fields as [string, string, string, string, string];
  const minutes = parseField(mi, 'minute', 0, 59);
  const hours = parseField(ho, 'hour', 0, 23);
  const daysOfMonth = parseField(dom === '?' ? '*' : dom, 'day-of-month', 1, 31);
  const months = parseField(mo, 'month', 1, 12, MONTHS, 1);
  const daysOfWeek = parseField(dow === '?' ? '*' : dow, 'day-of-week', 0, 7, DAYS, 0).map((d) => (d === 7 ? 0 : d));
  const domRestricted = dom !== '*' && dom !== '?';
  const dowRestricted = dow !== '*' && dow !== '?';
  if (domRestricted && dowRestricted) throw new CronError(`"${source}" restricts both day-of-month and day-of-week; use "*" for one of them (EventBridge Scheduler cannot express both)`);
  // A day-of-month that no allowed month has (e.g. 31 in a February-only schedule) never fires.
  if (domRestricted && !daysOfMonth.some((d) => months.some((m) => d <= [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!))) {
    throw new CronError(`"${source}" never fires: no allowed month has that day`);
  }
  return { source, minutes, hours, daysOfMonth: new Set(daysOfMonth), months: new Set(months), daysOfWeek: new Set(daysOfWeek), domRestricted, dowRestricted };
}

function dayMatches(cron: CronExpression, year: number, month: number, day: number): boolean {
  if (!cron.months.has(month)) return false;
  if (cron.domRestricted) return cron.daysOfMonth.has(day);
  if (cron.dowRestricted) return cron.daysOfWeek.has(new Date(Date.UTC(year, month - 1, day)).getUTCDay());
  return true;
}

/**
 * The first fire time strictly after `after`, for `cron` evaluated in `timeZone`.
 * Searches up to ten years ahead (a 29 February schedule fires within eight).
 */
export function nextFireTime(cron: CronExpression | string, after: Date, timeZone: string): Date {
  const expr = typeof cron === 'string' ? parseCron(cron) : cron;
  const t = after.getTime();
  const start = wallClockAt(t, timeZone);
  const startMinute = start.hour * 60 + start.minute;
  // Walk the local calendar day by day (Date.UTC normalises overflowing days and months).
  for (let offset = 0; offset < 3700; offset++) {
    const d = new Date(Date.UTC(start.year, start.month - 1, start.day + offset));
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    if (!dayMatches(expr, year, month, day)) continue;
    for (const hour of expr.hours) {
      // On the first day, times well before `after` cannot be later than it (2 h covers any DST shift).
      if (offset === 0 && hour * 60 + 59 < startMinute - 120) continue;
      for (const minute of expr.minutes) {
        const at = instantOf({ year, month, day, hour, minute }, timeZone);
        if (at > t) return new Date(at);
      }
    }
  }
  throw new CronError(`"${expr.source}" does not fire in the next ten years`);
}

/** Fire times in `(after, until]`, at most `limit` of them (for listings and tests). */
export function fireTimesBetween(cron: CronExpression | string, after: Date, until: Date, timeZone: string, limit = 1000): Date[] {
  const expr = typeof cron === 'string' ? parseCron(cron) : cron;
  const out: Date[] = [];
  let cursor = after;
  while (out.length < limit) {
    const next = nextFireTime(expr, cursor, timeZone);
    if (next.getTime() > until.getTime()) break;
    out.push(next);
    cursor = next;
  }
  return out;
}

/**
 * The EventBridge Scheduler form of a five-field expression: `cron(min hour dom month dow *)`,
 * with `?` in the unrestricted day field and weekdays as 1-7 (SUN=1), as EventBridge wants them.
 */
export function toEventBridgeCron(source: string): string {
  const expr = parseCron(source);
  const fields = source.trim().split(/\s+/) as [string, string, string, string, string];
  const [mi, ho, dom, mo] = fields;
  // Weekdays from the parsed set, so names, ranges, steps and 7 (Sunday) all translate exactly.
  const dow = [...expr.daysOfWeek].sort((a, b) => a - b).map((d) => d + 1).join(',');
  return `cron(${mi} ${ho} ${expr.dowRestricted ? '?' : dom === '?' ? '*' : dom} ${mo} ${expr.dowRestricted ? dow : '?'} *)`;
}
