/**
 * Structured JSON logs (one line per event) and CloudWatch metrics as Embedded Metric Format lines.
 *
 * Why not a library: the receiver's cold start budget is tight, and what we need is small. Every
 * value passes through `redact`, which drops known secret-bearing keys and masks KS-looking strings,
 * so a KS, secret or signature cannot reach a log line even by accident.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const satisfies Record<LogLevel, number>;

/** Keys whose values are never logged. Compared case-insensitively, ignoring `-` and `_`. */
const SECRET_KEYS = new Set(['ks', 'secret', 'adminsecret', 'usersecret', 'token', 'tokenhash', 'apptoken', 'signature', 'xkalturasignature', 'authorization', 'password', 'url', 'webhookurl', 'signingsecret', 'privatekey', 'kalsig']);
/** KS v2 strings start with base64("v2|") = "djJ8"; long base64/hex runs look like secrets or signatures. */
const KS_V2 = /djJ8[A-Za-z0-9_\-+/=]{8,}/g;
const HEX_RUN = /\b[a-f0-9]{40,128}\b/gi;
const KS_PATH = /\/ks\/[^/\s"]+/g;

/**
 * Masks KS strings, long hex runs and `/ks/...` URL segments. Every string of every log line comes
 * through here, so each pattern runs only when the string could hold a match (a KS v2 contains
 * "djJ8", a hex run needs 40 characters, a KS path contains "/ks/"): the result is the same as
 * running all three, for a fraction of the cost on the short strings that make up most fields.
 */
export function redactString(text: string): string {
  if (text.length < 5) return text; // the shortest match is "/ks/x"
  let out = text;
  if (out.includes('djJ8')) out = out.replace(KS_V2, '[redacted]');
  if (out.length >= 40) out = out.replace(HEX_RUN, '[redacted]');
  if (out.includes('/ks/')) out = out.replace(KS_PATH, '[redacted]');
  return out;
}

/** Normalised key -> secret?, for the keys seen so far (log fields use a small set of keys). */
const secretKeyCache = new Map<string, boolean>();
function isSecretKey(key: string): boolean {
  let secret = secretKeyCache.get(key);
  if (secret === undefined) {
    secret = SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
    if (secretKeyCache.size > 2000) secretKeyCache.clear();
    secretKeyCache.set(key, secret);
  }
  return secret;
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: redactString(value.message), ...(value.cause ? { cause: redact(value.cause, depth + 1) } : {}) };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    out[k] = isSecretKey(k) ? '[redacted]' : redact((value as Record<string, unknown>)[k], depth + 1);
  }
  return out;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines all carry `fields` (e.g. the correlation id). */
  child(fields: Record<string, unknown>): Logger;
  /** One CloudWatch metric (EMF), namespace `KalturaReporting`. */
  metric(name: string, value: number, dimensions?: Record<string, string>, unit?: 'Count' | 'Milliseconds' | 'Bytes'): void;
  /**
   * Several metrics in one EMF line (one metric directive each, so each keeps its own dimensions):
   * the same metrics as one `metric` call each, one line instead of several. Optional: callers fall
   * back to `metric` per entry (`emitMetrics`).
   */
  metrics?(entries: ReadonlyArray<MetricEntry>): void;
}

export interface MetricEntry {
  readonly name: string;
  readonly value: number;
  readonly dimensions?: Record<string, string>;
  readonly unit?: 'Count' | 'Milliseconds' | 'Bytes';
}

/** `logger.metrics(entries)` when the logger has it, else one `metric` call per entry. */
export function emitMetrics(logger: Logger, entries: ReadonlyArray<MetricEntry>): void {
  if (entries.length === 0) return;
  if (logger.metrics) logger.metrics(entries);
  else for (const e of entries) logger.metric(e.name, e.value, e.dimensions, e.unit);
}

export interface LoggerOptions {
  readonly service: string;
  readonly level?: LogLevel;
  /** Where lines go; default stdout. Tests pass a collector. */
  readonly write?: (line: string) => void;
  readonly fields?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions): Logger {
  const min = LEVELS[options.level ?? ((process.env.LOG_LEVEL?.toLowerCase() as LogLevel | undefined) ?? 'info')] ?? LEVELS.info;
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  return makeLogger(options.service, min, write, options.fields);
}

interface LoggerState {
  readonly service: string;
  readonly min: number;
  readonly write: (line: string) => void;
  /** The child's own fields (merged with its parents'). */
  readonly fields: Record<string, unknown> | undefined;
  /** `{service, ...fields}`: what every line carries. */
  readonly base: Record<string, unknown>;
}

function logLine(state: LoggerState, level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (LEVELS[level] < state.min) return;
  state.write(JSON.stringify(redact({ level, time: new Date().toISOString(), message, ...state.base, ...fields })));
}

type MetricUnit = 'Count' | 'Milliseconds' | 'Bytes';

function writeMetric(state: LoggerState, name: string, value: number, dimensions: Record<string, string> = {}, unit: MetricUnit = 'Count'): void {
  state.write(emfLine([{ name, value, dimensions, unit }], { service: state.service, ...dimensions, [name]: value }));
}

/**
 * The `CloudWatchMetrics` JSON per shape of entries (names, units, dimension names). It is the
 * bulk of an EMF line and the same for every line of a shape: the receiver writes one or two shapes
 * per outcome, for every notification. Keys are length-prefixed, so two shapes never share one.
 */
const directivesByShape = new Map<string, string>();
function directivesJson(entries: ReadonlyArray<MetricEntry>): string {
  let shape = '';
  for (const e of entries) {
    const unit = e.unit ?? 'Count';
    shape += `${e.name.length}:${e.name}${unit.length}:${unit}`;
    if (e.dimensions) for (const d of Object.keys(e.dimensions)) shape += `${d.length}:${d}`;
    shape += '|';
  }
  let json = directivesByShape.get(shape);
  if (json === undefined) {
    json = JSON.stringify(entries.map((e) => ({ Namespace: 'KalturaReporting', Dimensions: [['service', ...Object.keys(e.dimensions ?? {})]], Metrics: [{ Name: e.name, Unit: e.unit ?? 'Count' }] })));
    if (directivesByShape.size >= 256) directivesByShape.clear();
    directivesByShape.set(shape, json);
  }
  return json;
}

/** `JSON.stringify({_aws: {Timestamp, CloudWatchMetrics}, ...values})`, with the directives from the cache. */
function emfLine(entries: ReadonlyArray<MetricEntry>, values: Record<string, unknown>): string {
  return `{"_aws":{"Timestamp":${Date.now()},"CloudWatchMetrics":${directivesJson(entries)}},${JSON.stringify(values).slice(1)}`;
}

/**
 * One EMF document with a directive per entry. Entries whose names or dimension values clash (a
 * dimension with two values, a metric named like a dimension or twice) cannot share a document:
 * then one line each, as `metric` writes them.
 */
function writeMetrics(state: LoggerState, entries: ReadonlyArray<MetricEntry>): void {
  if (entries.length === 1) return writeMetric(state, entries[0]!.name, entries[0]!.value, entries[0]!.dimensions, entries[0]!.unit);
  const dimensions: Record<string, string> = {};
  const values: Record<string, number> = {};
  let clash = false;
  for (const e of entries) {
    if (e.dimensions) {
      for (const k of Object.keys(e.dimensions)) {
        const v = e.dimensions[k]!;
        if ((k in dimensions && dimensions[k] !== v) || k === 'service' || k === '_aws') clash = true;
        dimensions[k] = v;
      }
    }
    if (e.name in values || e.name === 'service' || e.name === '_aws') clash = true;
    values[e.name] = e.value;
  }
  for (const name of Object.keys(values)) if (name in dimensions) clash = true;
  if (clash) {
    for (const e of entries) writeMetric(state, e.name, e.value, e.dimensions, e.unit);
    return;
  }
  state.write(emfLine(entries, { service: state.service, ...dimensions, ...values }));
}

// Each method is made by a helper that returns a plain closure: cheap to make (the receiver makes a
// child logger per notification) and callable unbound, as callers do (`{ info: logger.info }`).
const lineAt = (state: LoggerState, level: LogLevel) => {
  return (message: string, fields?: Record<string, unknown>) => logLine(state, level, message, fields);
};
const childMaker = (state: LoggerState) => {
  return (fields: Record<string, unknown>) => makeLogger(state.service, state.min, state.write, { ...state.fields, ...fields });
};
const metricsWriter = (state: LoggerState) => {
  return (entries: ReadonlyArray<MetricEntry>) => writeMetrics(state, entries);
};
const metricWriter = (state: LoggerState) => {
  return (name: string, value: number, dimensions?: Record<string, string>, unit?: MetricUnit) => writeMetric(state, name, value, dimensions, unit);
};

/** The logger behind `createLogger` and `child`: a child shares its parent's level and writer, and its lines carry the parent's fields plus its own. */
function makeLogger(service: string, min: number, write: (line: string) => void, fields: Record<string, unknown> | undefined): Logger {
  const state: LoggerState = { service, min, write, fields, base: { service, ...fields } };
  return {
    debug: lineAt(state, 'debug'),
    info: lineAt(state, 'info'),
    warn: lineAt(state, 'warn'),
    error: lineAt(state, 'error'),
    child: childMaker(state),
    metric: metricWriter(state),
    metrics: metricsWriter(state),
  };
}

/** A logger that keeps lines in memory, for tests that assert on logs (and on the absence of secrets). */
export function createMemoryLogger(service = 'test'): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ service, level: 'debug', write: (l) => lines.push(l) });
  return Object.assign(logger, { lines });
}
