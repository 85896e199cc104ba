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
const SECRET_PATTERNS: ReadonlyArray<RegExp> = [/djJ8[A-Za-z0-9_\-+/=]{8,}/g, /\b[a-f0-9]{40,128}\b/gi, /\/ks\/[^/\s"]+/g];

export function redactString(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, '[redacted]');
  return out;
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (typeof value === 'string') return redactString(value);
  if (value instanceof Error) return { name: value.name, message: redactString(value.message), ...(value.cause ? { cause: redact(value.cause, depth + 1) } : {}) };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEYS.has(k.toLowerCase().replace(/[-_]/g, '')) ? '[redacted]' : redact(v, depth + 1);
    }
    return out;
  }
  return value;
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
  const base = { service: options.service, ...options.fields };
  const log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return;
    write(JSON.stringify(redact({ level, time: new Date().toISOString(), message, ...base, ...fields })));
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (fields) => createLogger({ ...options, fields: { ...options.fields, ...fields } }),
    metric: (name, value, dimensions = {}, unit = 'Count') => {
      write(
        JSON.stringify({
          _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: 'KalturaReporting', Dimensions: [['service', ...Object.keys(dimensions)]], Metrics: [{ Name: name, Unit: unit }] }] },
          service: options.service,
          ...dimensions,
          [name]: value,
        }),
      );
    },
  };
}

/** A logger that keeps lines in memory, for tests that assert on logs (and on the absence of secrets). */
export function createMemoryLogger(service = 'test'): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ service, level: 'debug', write: (l) => lines.push(l) });
  return Object.assign(logger, { lines });
}
