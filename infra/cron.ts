/**
 * Five-field cron (what the configuration and the local scheduler use) to EventBridge Scheduler's
 * six-field `cron(minutes hours day-of-month month day-of-week year)`.
 *
 * Differences handled here:
 * - EventBridge needs `?` in exactly one of day-of-month / day-of-week. Standard cron means "either
 *   matches" when both are restricted; EventBridge cannot express that, so it is refused with a
 *   message rather than silently changed.
 * - Day-of-week numbers differ (cron 0/7 = Sunday, 1 = Monday; EventBridge 1 = Sunday). Days are
 *   emitted as names (`MON,WED`), which read the same in both worlds.
 * - `*\/n` becomes `0/n` (minutes, hours) or `1/n` (day-of-month, month), the form AWS documents.
 *
 * Only the portable subset is accepted: numbers, names, `*`, ranges `a-b`, lists `a,b`, steps `/n`.
 */

export class CronConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronConversionError';
  }
}

interface FieldSpec {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: ReadonlyArray<string>;
  /** Start of `*\/n` in EventBridge. */
  readonly stepStart: number;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const MINUTE: FieldSpec = { label: 'minute', min: 0, max: 59, stepStart: 0 };
const HOUR: FieldSpec = { label: 'hour', min: 0, max: 23, stepStart: 0 };
const DAY_OF_MONTH: FieldSpec = { label: 'day-of-month', min: 1, max: 31, stepStart: 1 };
const MONTH: FieldSpec = { label: 'month', min: 1, max: 12, names: MONTHS, stepStart: 1 };
/** 0-7, both 0 and 7 are Sunday. */
const DAY_OF_WEEK: FieldSpec = { label: 'day-of-week', min: 0, max: 7, names: DAYS, stepStart: 0 };

function parseValue(text: string, spec: FieldSpec): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) throw new CronConversionError(`${spec.label} value ${n} is outside ${spec.min}-${spec.max}`);
    return n;
  }
  const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index >= 0) return index + (spec.names === MONTHS ? 1 : 0);
  throw new CronConversionError(`${spec.label} "${text}" is not a number${spec.names ? ' or a name such as ' + spec.names[1] : ''}`);
}

/** Validates one comma-separated item and returns the values it selects. */
function expandItem(item: string, spec: FieldSpec): number[] {
  const m = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
  if (!m) throw new CronConversionError(`${spec.label} "${item}" is not supported (use numbers, names, *, ranges a-b, lists a,b and steps /n)`);
  const [, base, stepText] = m as unknown as [string, string, string | undefined];
  const step = stepText === undefined ? 1 : Number(stepText);
  if (step < 1) throw new CronConversionError(`${spec.label} step "/${stepText}" must be 1 or more`);
  let from: number;
  let to: number;
  if (base === '*') {
    from = spec.min;
    to = spec === DAY_OF_WEEK ? 6 : spec.max;
  } else if (base.includes('-')) {
    const [a, b] = base.split('-') as [string, string];
    from = parseValue(a, spec);
    to = parseValue(b, spec);
    if (to < from) throw new CronConversionError(`${spec.label} range "${base}" runs backwards`);
  } else {
    from = parseValue(base, spec);
    // `5/15` means "from 5, every 15" in the crons that accept it.
    to = stepText === undefined ? from : spec === DAY_OF_WEEK ? 6 : spec.max;
  }
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

/** Minutes, hours, day-of-month, month: same meaning in both dialects; normalise names and `*\/n`. */
function convertPlainField(field: string, spec: FieldSpec): string {
  if (field === '*') return '*';
  return field
    .split(',')
    .map((item) => {
      expandItem(item, spec); // validation only
      const [base, step] = item.split('/') as [string, string | undefined];
      const convertedBase =
        base === '*'
          ? step === undefined
            ? '*'
            : String(spec.stepStart)
          : base
              .split('-')
              .map((v) => String(parseValue(v, spec)))
              .join('-');
      return step === undefined ? convertedBase : `${convertedBase}/${step}`;
    })
    .join(',');
}

/** Day-of-week: expanded into EventBridge day names (`SUN`..`SAT`), in week order. */
function convertDayOfWeek(field: string): string {
  const days = new Set<number>();
  for (const item of field.split(',')) for (const v of expandItem(item, DAY_OF_WEEK)) days.add(v % 7);
  return [...days]
    .sort((a, b) => a - b)
    .map((d) => DAYS[d])
    .join(',');
}

/**
 * `0 6 * * 1` -> `cron(0 6 ? * MON *)`. Throws `CronConversionError` (message without the field
 * path; the caller adds `<file>: schedules[i].cron:`).
 */
export function toEventBridgeCron(cron: string): string {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) throw new CronConversionError(`expected five fields (minute hour day-of-month month day-of-week), got ${fields.length}`);
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const m = convertPlainField(minute, MINUTE);
  const h = convertPlainField(hour, HOUR);
  const mon = convertPlainField(month, MONTH);
  const domRestricted = dom !== '*' && dom !== '?';
  const dowRestricted = dow !== '*' && dow !== '?';
  if (domRestricted && dowRestricted) {
    throw new CronConversionError(
      `day-of-month "${dom}" and day-of-week "${dow}" are both set; EventBridge Scheduler cannot run on "either" of them — set one of the two to *, or split it into two schedules`,
    );
  }
  if (dowRestricted) return `cron(${m} ${h} ? ${mon} ${convertDayOfWeek(dow)} *)`;
  const d = domRestricted ? convertPlainField(dom, DAY_OF_MONTH) : '*';
  return `cron(${m} ${h} ${d} ${mon} ? *)`;
}
