/**
 * HTTP for the Kaltura client: one undici `Agent` (keep-alive), a timeout on every call, and
 * retries with exponential backoff and full jitter for what a retry can fix: 5xx/429/408,
 * timeouts, reset or refused connections (a Lambda frozen between invocations wakes up with
 * keep-alive sockets the peer has closed: the first request on one gets ECONNRESET), truncated
 * bodies, and the retryable Kaltura error codes. Permanent errors are thrown at once.
 *
 * Nothing here logs a URL's query, a body or a header: bodies carry the KS and secrets, and CSV
 * download URLs embed a KS in their path.
 */
import type { Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import type { Logger } from '../logging/logger.js';
import { DEFAULT_THROTTLE_BACK_OFF_SECONDS, KalturaThrottledError, KalturaTransportError } from './errors.js';
import { parseRetryAfter } from '../errors/back-off.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { KEEP_ALIVE_AGENT, LazyDispatcher, loadUndici, type Undici } from '../http/undici-lazy.js';

export interface TransportOptions {
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;
  /** Cap of one backoff delay; default 10 s. */
  readonly retryMaxDelayMs?: number;
  readonly logger?: Logger;
  readonly dispatcher?: Dispatcher;
  /**
   * HTTP exchanges in flight at once (the per-partner budget of one client); a streamed download holds
   * its slot until its body ends. Waiting for a slot does not count against the timeout. Unlimited when unset.
   */
  readonly maxConcurrentRequests?: number;
}

export interface HttpRequest {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** What to call this request in logs and errors (`report.getTable`); never the URL. */
  readonly call: string;
  readonly timeoutMs?: number;
}

export interface StreamResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Readable;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let i = 0; i < 4 && current && typeof current === 'object'; i++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps whatever undici/node threw to a KalturaTransportError (retryable for network trouble). */
export function toTransportError(error: unknown, call: string, timedOut: boolean, timeoutMs: number): Error {
  if (error instanceof KalturaTransportError) return error;
  const code = errorCode(error);
  if (timedOut || (code && TIMEOUT_CODES.has(code))) {
    return new KalturaTransportError(`Kaltura ${call} timed out after ${timeoutMs} ms`, { call, kind: 'timeout', ...(code ? { errorCode: code } : {}) }, { cause: error });
  }
  if (code && NETWORK_CODES.has(code)) {
    return new KalturaTransportError(`Kaltura ${call}: connection failed (${code})`, { call, kind: 'network', errorCode: code }, { cause: error });
  }
  if (code === 'ENOTFOUND') {
    return new KalturaTransportError(`Kaltura ${call}: host not found (check KALTURA_SERVICE_URL)`, { call, kind: 'network', errorCode: code }, { cause: error, retryable: false });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new KalturaTransportError(`Kaltura ${call}: request failed (${code ?? message.slice(0, 120)})`, { call, kind: 'network', ...(code ? { errorCode: code } : {}) }, { cause: error });
}

function statusError(call: string, status: number, headers: Record<string, string | string[] | undefined> = {}): KalturaTransportError {
  const retryAfter = parseRetryAfter(header(headers, 'retry-after'));
  // 429, or 503 with Retry-After: Kaltura sheds load and says when to come back (a back-off, not a failure).
  if (status === 429 || (status === 503 && retryAfter !== undefined)) {
    return new KalturaThrottledError(call, status, retryAfter ?? DEFAULT_THROTTLE_BACK_OFF_SECONDS, retryAfter !== undefined);
  }
  const retryable = status >= 500 || status === 429 || status === 408;
  return new KalturaTransportError(
    `Kaltura ${call} answered HTTP ${status}${retryable ? ' (a temporary server error)' : ': check KALTURA_SERVICE_URL and the credentials'}`,
    { call, status, kind: 'http-status' },
    { retryable },
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Transport {
  /** `options.dispatcher`, or a keep-alive Agent created (with undici itself) on the first request. */
  private readonly dispatcher: LazyDispatcher;
  /** The client's concurrency budget (`maxConcurrentRequests`); undefined means unlimited. */
  readonly limit: ConcurrencyLimit | undefined;

  constructor(readonly options: TransportOptions) {
    this.dispatcher = new LazyDispatcher(options.dispatcher, (u) => new u.Agent(KEEP_ALIVE_AGENT));
    this.limit = options.maxConcurrentRequests !== undefined ? new ConcurrencyLimit(options.maxConcurrentRequests) : undefined;
  }

  /** undici's `request` and the dispatcher, loaded on first use (cold start: undici stays out of module init). */
  private async http(): Promise<{ request: Undici['request']; dispatcher: Dispatcher }> {
    const [{ request }, dispatcher] = await Promise.all([loadUndici(), this.dispatcher.get()]);
    return { request, dispatcher };
  }

  /** Backoff before retry `attempt` (1-based): full jitter over base * 2^(attempt-1), capped. */
  backoffMs(attempt: number): number {
    const ceiling = Math.min(this.options.retryMaxDelayMs ?? 10_000, this.options.retryBaseDelayMs * 2 ** (attempt - 1));
    return Math.floor(Math.random() * ceiling);
  }

  /**
   * Runs `fn` until it succeeds, throws a permanent error, or `maxRetries` retries are spent.
   * Any error with `retryable === true` is retried.
   */
  async withRetries<T>(call: string, fn: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (error) {
        const retryable = (error as { retryable?: unknown })?.retryable === true;
        // Kaltura said when to come back, and it is later than our own backoff would wait: do not hold
        // the worker (a Lambda bills while it sleeps); the job is deferred through the queue instead.
        const longBackOff = error instanceof KalturaThrottledError && error.retryAfterFromServer && error.retryAfterSeconds * 1000 > (this.options.retryMaxDelayMs ?? 10_000);
        if (!retryable || longBackOff || attempt >= this.options.maxRetries) {
          if (retryable) {
            this.options.logger?.warn('kaltura call failed after retries', { call, attempts: attempt + 1, error: describe(error) });
            noteAttempts(error, attempt + 1);
          }
          throw error;
        }
        // A short Retry-After is honoured in-process (never less than our own backoff).
        const delay = error instanceof KalturaThrottledError && error.retryAfterFromServer ? Math.max(this.backoffMs(attempt + 1), error.retryAfterSeconds * 1000) : this.backoffMs(attempt + 1);
        this.options.logger?.warn('kaltura call failed; retrying', { call, attempt: attempt + 1, delayMs: delay, error: describe(error) });
        this.options.logger?.metric('KalturaRetry', 1, { call });
        await sleep(delay);
      }
    }
  }

  /** One HTTP exchange whose body is read whole as text (JSON answers). Non-200 throws. No retries. */
  async text(req: HttpRequest): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    const release = await this.acquire();
    try {
      return await this.textInSlot(req);
    } finally {
      release();
    }
  }

  /** A slot of the concurrency budget; call the returned function exactly once to give it back. */
  private async acquire(): Promise<() => void> {
    return this.limit ? this.limit.acquire() : () => undefined;
  }

  private async textInSlot(req: HttpRequest): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs;
    const deadline = abortAfter(timeoutMs);
    const started = Date.now();
    try {
      const res = await this.request(req, 'POST', timeoutMs, deadline.signal);
      if (res.statusCode !== 200) {
        await res.body.dump().catch(() => undefined);
        throw statusError(req.call, res.statusCode, res.headers);
      }
      const text = await res.body.text();
      this.options.logger?.debug('kaltura call', { call: req.call, status: res.statusCode, ms: Date.now() - started, bytes: text.length });
      return { status: res.statusCode, headers: res.headers, text };
    } catch (error) {
      throw toTransportError(error, req.call, deadline.timedOut, timeoutMs);
    } finally {
      deadline.clear();
    }
  }

  /**
   * Opens a streamed response: the timeout covers connecting and the headers; after that the body
   * has an idle timeout of the same length. Non-200 throws (after draining). No retries here.
   */
  async stream(req: HttpRequest, acceptStatus: (status: number) => boolean = (s) => s === 200): Promise<StreamResponse> {
    const release = await this.acquire();
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs;
    const deadline = abortAfter(timeoutMs);
    try {
      const res = await this.request(req, 'GET', timeoutMs, deadline.signal);
      deadline.clear();
      if (!acceptStatus(res.statusCode)) {
        await res.body.dump().catch(() => undefined);
        throw statusError(req.call, res.statusCode, res.headers);
      }
      this.options.logger?.debug('kaltura stream opened', { call: req.call, status: res.statusCode });
      // The exchange is in flight until the body is consumed or destroyed: the slot goes back then.
      res.body.once('close', release);
      if (res.body.destroyed) release();
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (error) {
      release();
      throw toTransportError(error, req.call, deadline.timedOut, timeoutMs);
    } finally {
      deadline.clear();
    }
  }

  /** The one undici call both `text` and `stream` make: same headers, body, dispatcher and timeouts. */
  private async request(req: HttpRequest, defaultMethod: 'GET' | 'POST', timeoutMs: number, signal: AbortSignal) {
    const { request, dispatcher } = await this.http();
    return request(req.url, {
      method: req.method ?? defaultMethod,
      ...(req.headers ? { headers: req.headers } : {}),
      ...(req.body !== undefined ? { body: req.body } : {}),
      dispatcher,
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/**
 * A retryable error that used up the retries says so in its message ("; tried 4 times"), once: the
 * command line prints it as the last word, and the queue's redelivery log shows how hard we tried.
 * The error stays retryable: a later redelivery of the job may find the server well again.
 */
function noteAttempts(error: unknown, attempts: number): void {
  if (attempts < 2 || !(error instanceof Error) || / tried \d+ times$/.test(error.message)) return;
  error.message = `${error.message}; tried ${attempts} times`;
}

/** An AbortSignal that fires after `ms`, and whether it did (a timeout, not another abort). */
function abortAfter(ms: number): { readonly signal: AbortSignal; readonly timedOut: boolean; clear(): void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, ms);
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    clear: () => clearTimeout(timer),
  };
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, ...((error as { code?: unknown }).code !== undefined ? { code: (error as { code?: unknown }).code } : {}) };
  }
  return { message: String(error) };
}

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Reads a (small) stream whole as UTF-8, up to `limit` bytes; the rest is discarded. */
export async function readText(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (size + buf.length > limit) {
      body.destroy();
      break;
    }
    size += buf.length;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `X-Kaltura: error-<CODE>` marks answers that ended via dieError (no JSON body), e.g. report.serve
 * with an expired download KS (`ACCESS_CONTROL_RESTRICTED`). Returns the code, if any.
 */
export function xKalturaErrorCode(headers: Record<string, string | string[] | undefined>): string | undefined {
  const value = header(headers, 'x-kaltura');
  const m = value ? /^error-([A-Z0-9_ ]+)/i.exec(value) : null;
  return m ? m[1] : undefined;
}
