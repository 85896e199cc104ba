/**
 * "The peer is overloaded: come back in N seconds" (Kaltura answering 429, or 503 with Retry-After).
 *
 * Why a separate signal and not just `retryable`: a retryable failure is redelivered by SQS after the
 * visibility timeout and counts as a receive, so a Kaltura outage of a few minutes would push every job
 * through its `maxReceiveCount` into the dead-letter queue. A back-off is not the job's fault: the batch
 * processor (shared/queues/job-batch-processor.ts) re-sends the job with an SQS delay of
 * `retryAfterSeconds` and deletes the received copy, so the wait costs no receive attempt.
 *
 * Errors opt in with `backOff: true` (a plain `retryAfterSeconds`, as a Slack 429 carries, is not enough:
 * a destination's rate limit is handled by the alert engine, not by re-running the whole job later).
 */
import { ReportingError } from './base-error.js';

export interface BackOffSignal {
  readonly backOff: true;
  /** How long to wait before the next attempt, in seconds. */
  readonly retryAfterSeconds: number;
  /** Who asked to wait, for the log line of the deferral. Default: Kaltura. */
  readonly waitReason?: string;
}

/** The `waitReason` of the back-off signal in `error` (or its causes), else Kaltura's. */
export function waitReasonOf(error: unknown): string {
  for (let e: unknown = error, depth = 0; e instanceof ReportingError && depth < 5; e = e.cause, depth++) {
    const reason = (e as Partial<BackOffSignal>).waitReason;
    if (typeof reason === 'string') return reason;
  }
  return 'Kaltura asked to back off';
}

/** Thrown by a job handler when a peer asks it to wait; retryable, and never counted as an attempt. */
export class BackOffError extends ReportingError implements BackOffSignal {
  readonly retryable = true;
  readonly backOff = true as const;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The wait an error asks for, when it is a back-off signal, or a retryable error caused by one (a
 * domain error that wraps Kaltura's 429 with its own words); otherwise undefined.
 */
export function backOffSecondsOf(error: unknown): number | undefined {
  for (let e: unknown = error, depth = 0; e instanceof ReportingError && e.retryable && depth < 5; e = e.cause, depth++) {
    const signal = e as Partial<BackOffSignal>;
    if (signal.backOff !== true) continue;
    const seconds = signal.retryAfterSeconds;
    return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
  }
  return undefined;
}

/**
 * How long a job keeps being deferred while a peer asks to back off before the failures count as
 * attempts again (then redelivery and, eventually, the dead-letter queue).
 */
export const MAX_BACK_OFF_SECONDS = 6 * 3600;

/**
 * The delay a job should be deferred by for this error (shared/queues/job-batch-processor.ts), or
 * undefined when it is not a back-off signal or the job has been backing off for MAX_BACK_OFF_SECONDS.
 */
export function deferralSecondsFor(error: unknown, job: { readonly backOff?: { readonly since: string } | undefined }, now: number = Date.now()): number | undefined {
  const seconds = backOffSecondsOf(error);
  if (seconds === undefined) return undefined;
  const since = job.backOff ? Date.parse(job.backOff.since) : now;
  return Number.isFinite(since) && now - since >= MAX_BACK_OFF_SECONDS * 1000 ? undefined : seconds;
}

/**
 * Seconds from a `Retry-After` header (delta-seconds or an HTTP date), or undefined when absent or
 * unreadable. Never negative.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? Math.max(0, Math.ceil((at - now) / 1000)) : undefined;
}
