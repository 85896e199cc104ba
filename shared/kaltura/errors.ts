/**
 * Errors of the Kaltura client. Each says whether a retry can help (`retryable`), which drives
 * the client's own retries and, above it, the SQS redelivery / dead-letter decision.
 *
 * Messages may carry Kaltura's error code and message, but never a KS: `INVALID_KS` embeds the
 * KS it rejected in both `message` and `args.KSID`, so both pass through `stripKs` first.
 */
import { ReportingError } from '../errors/base-error.js';
import { redactString } from '../logging/logger.js';
import type { BackOffSignal } from '../errors/back-off.js';

/** Codes a retry can fix (server-side hiccups). Everything else from the API is permanent. */
const RETRYABLE_CODES = new Set(['INTERNAL_SERVERL_ERROR', 'INTERNAL_SERVER_ERROR', 'DRUID_QUERY_TIMED_OUT', 'SERVICE_UNAVAILABLE', 'LOCK_TIMED_OUT']);

/** KSID values that are reasons, not KS strings (WIRE_FACTS §0.4). */
const KS_REASONS = new Set(['', 'EXPIRED', 'LOGOUT', 'EXCEEDED_RESTRICTED_IP', 'EXCEEDED_ACTIONS_LIMIT', 'EXCEEDED_RESTRICTED_URI', 'INVALID_PARTNER', 'INVALID_USER', 'INVALID_STR', 'INVALID_TYPE']);

/** Removes KS strings (v2 `djJ8…`, v1 base64, or any value listed in `known`) from a text. */
export function stripKs(text: string, known: ReadonlyArray<string> = []): string {
  let out = text;
  for (const value of known) if (value && value.length >= 8) out = out.split(value).join('[redacted]');
  out = redactString(out);
  // KS v1 (standard base64 of "<sha1 hex>|<info>") and any other long opaque token quoted in a message.
  out = out.replace(/[A-Za-z0-9+/_-]{60,}={0,2}/g, '[redacted]');
  return out;
}

export function isRetryableApiCode(code: string): boolean {
  return RETRYABLE_CODES.has(code);
}

/** A `KalturaAPIException` (HTTP 200 with `objectType: KalturaAPIException`). */
export class KalturaApiError extends ReportingError {
  readonly retryable: boolean;
  readonly code: string;
  /** Kaltura's args, KS values removed. Always an object (Kaltura sends `[]` when empty). */
  readonly args: Readonly<Record<string, string>>;
  /** `service.action` of the failing call, e.g. `report.getTable`. */
  readonly call: string;

  constructor(input: { code: string; message: string; args?: unknown; call: string; knownSecrets?: ReadonlyArray<string> }, options?: { cause?: unknown }) {
    const known = [...(input.knownSecrets ?? [])];
    const rawArgs = input.args && typeof input.args === 'object' && !Array.isArray(input.args) ? (input.args as Record<string, unknown>) : {};
    const args: Record<string, string> = {};
    for (const [k, v] of Object.entries(rawArgs)) {
      const s = typeof v === 'string' ? v : String(v);
      if (k === 'KSID' && !KS_REASONS.has(s)) {
        known.push(s);
        args[k] = '[redacted]';
      } else args[k] = s;
    }
    for (const [k, v] of Object.entries(args)) args[k] = stripKs(v, known);
    const message = stripKs(input.message, known);
    super(`Kaltura ${input.call} failed with ${input.code}: ${message}${hint(input.code)}`, options);
    this.code = input.code;
    this.args = args;
    this.call = input.call;
    this.retryable = isRetryableApiCode(input.code);
  }
}

function hint(code: string): string {
  switch (code) {
    case 'INVALID_KS':
      return ' (the session was renewed once and still rejected: check the partner id, secret or app token)';
    case 'SERVICE_FORBIDDEN':
      return ' (the session lacks the permission for this action: grant it to the role of the app token or user)';
    case 'START_SESSION_ERROR':
      return ' (check KALTURA_PARTNER_ID and KALTURA_ADMIN_SECRET)';
    case 'INVALID_ENUM_VALUE':
    case 'MISSING_MANDATORY_PARAMETER':
      return ' (fix the request in the configuration)';
    default:
      return code.startsWith('APP_TOKEN_') || code === 'INVALID_APP_TOKEN_HASH' ? ' (check KALTURA_APP_TOKEN_ID, KALTURA_APP_TOKEN and its hash type)' : '';
  }
}

/** HTTP non-200, timeouts, dropped connections, truncated downloads. Retryable unless the status says otherwise. */
export class KalturaTransportError extends ReportingError {
  readonly retryable: boolean;
  constructor(
    message: string,
    readonly details: { call: string; status?: number; errorCode?: string; kind: 'http-status' | 'timeout' | 'network' | 'truncated' },
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(message, options);
    this.retryable = options?.retryable ?? true;
  }
}

/**
 * Kaltura is shedding load: HTTP 429, or 503 with a `Retry-After`. Retryable, and a back-off signal
 * (shared/errors/back-off.ts): the job is deferred by `retryAfterSeconds` through an SQS delay instead of
 * spending its receive attempts. A bare 503 stays an ordinary retryable KalturaTransportError.
 */
export class KalturaThrottledError extends KalturaTransportError implements BackOffSignal {
  readonly backOff = true as const;
  constructor(
    call: string,
    status: number,
    /** From `Retry-After`, else DEFAULT_THROTTLE_BACK_OFF_SECONDS. */
    readonly retryAfterSeconds: number,
    /** Whether Kaltura sent `Retry-After` (then the client does not wait in-process when it is long). */
    readonly retryAfterFromServer: boolean,
  ) {
    super(`Kaltura ${call} answered HTTP ${status} (overloaded; back off ${retryAfterSeconds} s)`, { call, status, kind: 'http-status' }, { retryable: true });
  }
}

/** Back-off when Kaltura answers 429 without `Retry-After`. */
export const DEFAULT_THROTTLE_BACK_OFF_SECONDS = 30;

/** A body that is not what Kaltura should send (unparseable JSON, unexpected shape). */
export class KalturaResponseError extends ReportingError {
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options);
    this.retryable = options?.retryable ?? false;
  }
}

/** Why `text` is not the JSON answer expected (see parseJson). */
export function notJsonError(text: string, call: string, setting: string, cause?: unknown, expected = 'JSON'): KalturaResponseError {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') return new KalturaResponseError(`Kaltura ${call} answered HTTP 200 with an empty body (the server failed while answering)`, { cause, retryable: true });
  if (/^[[{"]/.test(body)) return new KalturaResponseError(`Kaltura ${call} answered JSON that is cut short or malformed (${text.length} bytes)`, { cause, retryable: true });
  if (/^</.test(body)) {
    const title = /<title[^>]*>([^<]{1,200})<\/title>/i.exec(body)?.[1];
    const shown = title ? ` ("${stripKs(title.replace(/\s+/g, ' ').trim()).slice(0, 80)}")` : '';
    const what = /^<\?xml|^<xml/i.test(body) ? 'XML' : 'an HTML page';
    return new KalturaResponseError(`Kaltura ${call} answered ${what}${shown} instead of ${expected}: check that ${setting} points at the Kaltura API server, not a web page or proxy`, { cause });
  }
  return new KalturaResponseError(`Kaltura ${call} answered a body that is not JSON (${text.length} bytes): check that ${setting} points at the Kaltura API server`, { cause });
}

/** getTable cannot go past 12000 rows (WIRE_FACTS §1.5). Permanent: narrow the window or use a CSV export. */
export class KalturaRowLimitError extends ReportingError {
  readonly retryable = false;
  constructor(readonly rowsRead: number, readonly totalCount: number) {
    super(
      `report.getTable stops at 12000 rows (read ${rowsRead} of ${totalCount || 'unknown'}): narrow the window or filter, or export with getUrlForReportAsCsv (limit 60000 rows).`,
    );
  }
}

/** The Reports Microservice said the job failed. Permanent: the reason is Kaltura's. */
export class KalturaMicroserviceJobError extends ReportingError {
  readonly retryable = false;
  constructor(readonly reason: string) {
    super(`Reports Microservice job failed: ${stripKs(reason)}. Check the report name and parameters (and the virtualeventid privilege).`);
  }
}

/** Client configuration is incomplete (no secret and no app token, bad URL...). Permanent. */
export class KalturaConfigError extends ReportingError {
  readonly retryable = false;
}

export function isKalturaApiError(error: unknown, code?: string): error is KalturaApiError {
  return error instanceof KalturaApiError && (code === undefined || error.code === code);
}
