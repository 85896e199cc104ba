/**
 * `{placeholders}` in job specs, resolved from the event and the window when a job is created.
 *
 * Roots: `object.<path>` (the notification's `object`), `event.<field>` (top-level notification
 * fields such as eventNotificationJobId), `subject.id`, `subject.name`, `window.from`, `window.to`
 * (unix seconds), `window.fromDay`, `window.toDay` (YYYY-MM-DD in the window's timezone; toDay is
 * the last day included), `window.label`, `partnerId`.
 * A string that is exactly one placeholder keeps the value's type (a number stays a number).
 */
import { ReportingError } from '../errors/base-error.js';

export class PlaceholderError extends ReportingError {
  readonly retryable = false;
  constructor(readonly placeholder: string, where: string) {
    super(`Placeholder {${placeholder}} in ${where} has no value for this event. Fix the rule in the configuration, or make sure the notification template sends that field.`);
  }
}

export type PlaceholderContext = Readonly<Record<string, unknown>>;

const TOKEN = /\{([a-zA-Z][\w]*(?:\.[\w]+)*)\}/g;
const WHOLE = /^\{([a-zA-Z][\w]*(?:\.[\w]+)*)\}$/;
export const PLACEHOLDER_ROOTS = ['object', 'event', 'subject', 'window', 'partnerId'] as const;

function lookup(context: PlaceholderContext, path: string): unknown {
  let value: unknown = context;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function resolveString(text: string, context: PlaceholderContext, where: string): unknown {
  const whole = WHOLE.exec(text);
  if (whole) {
    const value = lookup(context, whole[1]!);
    if (value === undefined || value === null || typeof value === 'object') throw new PlaceholderError(whole[1]!, where);
    return value;
  }
  return text.replace(TOKEN, (_, path: string) => {
    const value = lookup(context, path);
    if (value === undefined || value === null || typeof value === 'object') throw new PlaceholderError(path, where);
    return String(value);
  });
}

/** Thrown by the fast walk when a placeholder has no value; the slow walk then names where. */
const MISSING = Symbol('missing placeholder');

/**
 * The receiver resolves every job spec of every matching rule per notification, so this walk is on
 * the hot path: no path strings, closures or entry arrays unless a placeholder turns out to be
 * missing, in which case the walk is done again with paths to say where (same result, same error).
 */
function copyResolved(v: unknown, context: PlaceholderContext): unknown {
  if (typeof v === 'string') {
    if (!v.includes('{')) return v;
    try {
      return resolveString(v, context, '');
    } catch (error) {
      if (error instanceof PlaceholderError) throw MISSING;
      throw error;
    }
  }
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyResolved(v[i], context);
    return out;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      const item = copyResolved((v as Record<string, unknown>)[k], context);
      // As Object.fromEntries does: an own "__proto__" key stays a plain property.
      if (k === '__proto__') Object.defineProperty(out, k, { value: item, enumerable: true, writable: true, configurable: true });
      else out[k] = item;
    }
    return out;
  }
  return v;
}

function walkWithPaths(v: unknown, path: string, context: PlaceholderContext): unknown {
  if (typeof v === 'string') return v.includes('{') ? resolveString(v, context, path) : v;
  if (Array.isArray(v)) return v.map((item, i) => walkWithPaths(item, `${path}[${i}]`, context));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walkWithPaths(item, `${path}.${k}`, context)]));
  return v;
}

/** A deep copy of `value` with every placeholder in its strings resolved. */
export function resolvePlaceholders<T>(value: T, context: PlaceholderContext, where = 'job'): T {
  try {
    return copyResolved(value, context) as T;
  } catch (error) {
    if (error !== MISSING) throw error;
    return walkWithPaths(value, where, context) as T;
  }
}

/** Placeholder names used in `value` (for validating configuration up front). */
export function listPlaceholders(value: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') for (const m of v.matchAll(TOKEN)) found.push(m[1]!);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return found;
}
