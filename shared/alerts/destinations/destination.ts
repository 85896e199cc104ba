/**
 * What every alert destination implements, and the HTTP plumbing they share: a POST with a timeout,
 * status classification (retryable 429/5xx/network, permanent 4xx), `Retry-After` parsing, and a
 * per-target pacer (Slack allows about one message per second per webhook).
 *
 * Destination URLs are secrets: they are never put in an error message or a log line. Errors name
 * the destination by its configuration name instead.
 */
import { ReportingError } from '../../errors/base-error.js';
import type { AlertMessage } from '../alert-message.js';
import { loadUndici } from '../../http/undici-lazy.js';

export interface AlertDestination {
  /** The configuration name, e.g. `team-slack`. */
  readonly name: string;
  readonly type: 'slack' | 'teams' | 'kaltura-email' | 'webhook' | 'sns' | 'local';
  send(message: AlertMessage): Promise<void>;
}

export class DestinationError extends ReportingError {
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly destination: string,
    message: string,
    options: { retryable: boolean; status?: number; retryAfterSeconds?: number; cause?: unknown },
  ) {
    super(`Alert destination "${destination}": ${message}`, { cause: options.cause });
    this.retryable = options.retryable;
    this.status = options.status;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export interface HttpResult {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

export interface PostOptions {
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
}

/** POST `body`; network errors and timeouts become retryable `DestinationError`s. */
export async function postBody(destination: string, url: string, body: string, options: PostOptions = {}): Promise<HttpResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  try {
    // undici is loaded on the first send, not at module scope (cold start; shared/http/undici-lazy.ts).
    const { request } = await loadUndici();
    const res = await request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...options.headers },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs + 1000),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text.slice(0, 2000), headers: res.headers };
  } catch (cause) {
    const code = (cause as { code?: string })?.code ?? (cause as Error)?.name ?? 'error';
    throw new DestinationError(destination, `could not reach the destination (${code}); will retry.`, { retryable: true, cause: undefined });
  }
}

/** `Retry-After` in seconds (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v.trim());
  const date = Date.parse(v);
  return Number.isFinite(date) ? Math.max(0, (date - now) / 1000) : undefined;
}

/** A short, safe excerpt of a response body for error messages (no URLs). */
export function bodyExcerpt(body: string): string {
  return body.replace(/https?:\/\/\S+/g, '[url]').replace(/\s+/g, ' ').trim().slice(0, 120);
}

/** The generic mapping: 2xx ok, 408/429/5xx retryable, other statuses permanent. */
export function statusError(destination: string, result: HttpResult, what: string): DestinationError {
  const retryAfterSeconds = parseRetryAfter(result.headers['retry-after']);
  const retryable = result.status === 408 || result.status === 429 || result.status >= 500;
  const excerpt = bodyExcerpt(result.body);
  const advice = retryable ? 'will retry' : 'check the destination configuration (the URL secret may be revoked or wrong)';
  return new DestinationError(destination, `${what} answered HTTP ${result.status}${excerpt ? ` "${excerpt}"` : ''}; ${advice}.`, {
    retryable,
    status: result.status,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
}

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spaces calls to one target at least `intervalMs` apart within this process (a Lambda execution
 * environment or the local runtime). Returns a function that waits for the next slot.
 */
export function createPacer(intervalMs: number, sleep: Sleep = realSleep, now: () => number = Date.now): (target: string) => Promise<void> {
  const nextSlot = new Map<string, number>();
  return async (target) => {
    const t = now();
    const slot = Math.max(t, nextSlot.get(target) ?? 0);
    nextSlot.set(target, slot + intervalMs);
    if (slot > t) await sleep(slot - t);
  };
}

/**
 * Sends with `attempt`, honouring 429 `Retry-After` inline when the wait is short (at most
 * `maxInlineWaitSeconds`); a longer wait, or more 429s, becomes a retryable error for the job.
 */
export async function withRetryAfter(
  attempt: () => Promise<void>,
  options: { maxInlineWaitSeconds: number; maxInlineRetries: number; sleep: Sleep },
): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (
        error instanceof DestinationError &&
        error.status === 429 &&
        i < options.maxInlineRetries &&
        (error.retryAfterSeconds ?? 1) <= options.maxInlineWaitSeconds
      ) {
        await options.sleep(Math.ceil((error.retryAfterSeconds ?? 1) * 1000));
        continue;
      }
      throw error;
    }
  }
}
