/**
 * Alert state per (rule, job, subject[, aspect]): ok, firing, resolved, error (the check itself failed
 * permanently), no-data. Decides whether an observation means "notify now" (firing, a repeat after
 * the repeat interval, resolved with how long it lasted, error, no-data) and records per-destination
 * delivery so a retry never re-sends to a destination that already has the message.
 *
 * Exactly one alert from concurrent evaluations: every transition is a compare-and-set
 * (`StateStore.put(key, next, expectedVersion)`). The evaluation whose write wins owns the
 * notification (it is written as `pending`, claimed for `claimMs`) and sends it; the loser re-reads
 * and sees the already-notified state, or a pending notification another evaluation has claimed.
 * Then it throws `AlertInProgressError`, a back-off: its job is deferred until the claim runs out
 * and evaluated again. It must not just return: the claim's owner may have died before sending (a
 * Lambda timeout, a SIGKILL of the local stack), and then the deferred job is the one that takes
 * the pending notification over and sends it.
 *
 * Retries: when some destinations failed with a retryable error, the pending notification is written
 * back unclaimed with the destinations that succeeded, and `AlertDeliveryError` (retryable) is thrown
 * so the job is redelivered; the next evaluation first finishes that pending notification, sending
 * only to the destinations still missing, then evaluates its own observation.
 */
import { randomUUID } from 'node:crypto';
import type { StateStore } from '../ports/state-store.js';
import type { JobSubject } from '../jobs/job-message.js';
import type { Logger } from '../logging/logger.js';
import { ReportingError } from '../errors/base-error.js';
import { BackOffError } from '../errors/back-off.js';
import type { AlertKind, AlertMessage, Observation } from './alert-message.js';

export type AlertStatus = 'ok' | 'firing' | 'resolved' | 'error' | 'no-data';

export interface AlertKey {
  readonly rule: string;
  readonly job: string;
  readonly subject: Pick<JobSubject, 'scope' | 'id'>;
  /** A live watch has two alerts per stream: `health` and `viewers`. */
  readonly aspect?: string;
}

/** The state document key. Not the job id: the window (and so the job id) changes every day. */
export function alertStateKey(key: AlertKey): string {
  return `alert#${key.rule}#${key.job}#${key.subject.scope}:${key.subject.id}${key.aspect ? `#${key.aspect}` : ''}`;
}

export interface DeliveryRecord {
  readonly status: 'delivered' | 'failed';
  readonly at: string;
  /** Why a permanent failure happened (never a URL or secret). */
  readonly reason?: string;
}

export interface PendingNotification {
  readonly message: AlertMessage;
  readonly destinations: ReadonlyArray<string>;
  readonly deliveries: Readonly<Record<string, DeliveryRecord>>;
  /** ms epoch; while in the future, the claimer is sending it and nobody else may. */
  readonly claimedUntil?: number;
  readonly claimedBy?: string;
}

export interface AlertState {
  readonly status: AlertStatus;
  /** When `status` began, ISO 8601. */
  readonly since: string;
  /** Start of the current firing / error / no-data episode (for "lasted …"). */
  readonly episodeStartedAt?: string;
  readonly lastNotifiedAt?: string;
  readonly lastEvaluatedAt: string;
  readonly lastJobId?: string;
  readonly lastValue?: number;
  readonly lastDescription?: string;
  readonly pending?: PendingNotification;
  readonly lastNotification?: { readonly id: string; readonly kind: AlertKind; readonly at: string; readonly deliveries: Readonly<Record<string, DeliveryRecord>> };
}

/** The result of sending to one destination. Retryable failures are retried by the job. */
export type DeliveryOutcome = { readonly ok: true } | { readonly ok: false; readonly permanent: boolean; readonly reason: string };

export interface EvaluateAlertOptions {
  readonly store: StateStore;
  readonly key: AlertKey;
  readonly observation: Observation;
  readonly now: Date;
  readonly repeatIntervalMs: number;
  readonly destinations: ReadonlyArray<string>;
  readonly jobId: string;
  /** Builds the message once a notification is decided. */
  readonly buildMessage: (input: { id: string; kind: AlertKind; previousStatus: AlertStatus; since: Date | undefined }) => AlertMessage;
  readonly deliver: (destination: string, message: AlertMessage) => Promise<DeliveryOutcome>;
  readonly logger?: Logger;
  /**
   * How long a claimed notification is protected from other evaluators. Default DEFAULT_ALERT_CLAIM_MS:
   * longer than sending to every destination can take, short because a job that finds the claim of an
   * evaluation that died waits this long before sending in its place.
   */
  readonly claimMs?: number;
  /** Identifies this evaluation in claims. Default a random id. */
  readonly ownerId?: string;
}

export interface EvaluateAlertResult {
  readonly status: AlertStatus;
  /** The notification this evaluation sent (or completed), if any. */
  readonly notified?: AlertKind;
  readonly delivered: ReadonlyArray<string>;
  readonly failed: ReadonlyArray<string>;
}

/**
 * Longer than the slowest complete delivery, so a live sender never has its notification taken over
 * (that would send it twice): all destinations are sent at once, but one Slack send may take four
 * posts of up to 11 s plus its inline Retry-After waits, and a Kaltura e-mail may first start a
 * session (30 s timeout, retried). In Lambda the function's timeout ends a sender well before this.
 */
export const DEFAULT_ALERT_CLAIM_MS = 120_000;

/** Some destinations failed temporarily; the job retries and only they are sent to again. */
export class AlertDeliveryError extends ReportingError {
  readonly retryable = true;
}

/** Too many concurrent writers for one alert; retried by the job. */
export class AlertContentionError extends ReportingError {
  readonly retryable = true;
}

/**
 * Another evaluation has claimed this alert's pending notification: the job is deferred (a back-off,
 * costing no attempt) until the claim runs out, then evaluated again: it finds the notification sent,
 * or takes it over from an evaluation that died.
 */
export class AlertInProgressError extends BackOffError {
  readonly waitReason = 'another evaluation is sending this alert';
}

interface Decision {
  readonly next: AlertState;
  readonly notify?: AlertKind;
  readonly previousStatus: AlertStatus;
  readonly since?: Date;
}

/** The pure transition: previous state + observation -> next state and whether to notify. */
export function decideTransition(state: AlertState | undefined, observation: Observation, now: Date, repeatIntervalMs: number, jobId: string): Decision {
  const nowIso = now.toISOString();
  const previousStatus: AlertStatus = state?.status ?? 'ok';
  const base = {
    lastEvaluatedAt: nowIso,
    lastJobId: jobId,
    lastDescription: observation.description,
    ...(observation.value !== undefined ? { lastValue: observation.value } : {}),
    ...(state?.lastNotification ? { lastNotification: state.lastNotification } : {}),
  };
  const keep = (status: AlertStatus): AlertState => ({
    ...base,
    status,
    since: state?.since ?? nowIso,
    ...(state?.episodeStartedAt ? { episodeStartedAt: state.episodeStartedAt } : {}),
    ...(state?.lastNotifiedAt ? { lastNotifiedAt: state.lastNotifiedAt } : {}),
  });
  const dueForRepeat = () => !state?.lastNotifiedAt || now.getTime() - Date.parse(state.lastNotifiedAt) >= repeatIntervalMs;

  if (observation.status === 'ok') {
    if (previousStatus === 'firing' || previousStatus === 'error' || previousStatus === 'no-data') {
      const since = state?.episodeStartedAt ? new Date(state.episodeStartedAt) : undefined;
      return { next: { ...base, status: 'resolved', since: nowIso, lastNotifiedAt: nowIso }, notify: 'resolved', previousStatus, ...(since ? { since } : {}) };
    }
    // `resolved` stays until the next episode: it tells whoever looks that this alert fired before.
    return { next: keep(previousStatus === 'resolved' ? 'resolved' : 'ok'), previousStatus };
  }

  // firing, error, no-data: each is an episode with a first notification and repeats.
  const status: AlertStatus = observation.status;
  if (previousStatus === status) {
    const since = state?.episodeStartedAt ? new Date(state.episodeStartedAt) : undefined;
    if (dueForRepeat()) {
      return { next: { ...keep(status), lastNotifiedAt: nowIso }, notify: status === 'firing' ? 'repeat' : status, previousStatus, ...(since ? { since } : {}) };
    }
    return { next: keep(status), previousStatus };
  }
  return {
    next: { ...base, status, since: nowIso, episodeStartedAt: nowIso, lastNotifiedAt: nowIso },
    notify: status === 'firing' ? 'firing' : status,
    previousStatus,
    since: now,
  };
}

export async function evaluateAlert(options: EvaluateAlertOptions): Promise<EvaluateAlertResult> {
  const key = alertStateKey(options.key);
  const owner = options.ownerId ?? randomUUID();
  const claimMs = options.claimMs ?? DEFAULT_ALERT_CLAIM_MS;
  const nowMs = options.now.getTime();
  let completed: { kind: AlertKind; delivered: string[]; failed: string[] } | undefined;

  for (let round = 0; round < 8; round++) {
    const current = await options.store.get<AlertState>(key);
    const state = current?.value;

    // 1. A notification decided earlier that is not fully delivered: finish it first.
    if (state?.pending) {
      const pending = state.pending;
      if (pending.claimedBy !== owner && pending.claimedUntil !== undefined && pending.claimedUntil > nowMs) {
        const waitSeconds = Math.ceil((pending.claimedUntil - nowMs) / 1000) + 1;
        options.logger?.info('alert notification is being sent by another evaluation; checking again once its claim runs out', { alert: key, notification: pending.message.id, waitSeconds });
        throw new AlertInProgressError(`Alert ${key}: notification ${pending.message.id} is being sent by another evaluation; the job checks again in ${waitSeconds} s.`, waitSeconds);
      }
      const claimed: AlertState = { ...state, pending: { ...pending, claimedUntil: nowMs + claimMs, claimedBy: owner } };
      if (!(await options.store.put(key, claimed, current!.version))) continue;
      completed = await deliverPending(options, key, claimed, current!.version + 1);
      continue; // re-read, then evaluate this observation against the settled state
    }

    // 2. Decide on this observation.
    const decision = decideTransition(state, options.observation, options.now, options.repeatIntervalMs, options.jobId);
    let next = decision.next;
    if (decision.notify) {
      const message = options.buildMessage({ id: randomUUID(), kind: decision.notify, previousStatus: decision.previousStatus, since: decision.since });
      next = { ...next, pending: { message, destinations: [...options.destinations], deliveries: {}, claimedUntil: nowMs + claimMs, claimedBy: owner } };
    }
    if (!(await options.store.put(key, next, current?.version))) continue; // someone else wrote first: decide again
    if (decision.notify) {
      options.logger?.info('alert notification decided', { alert: key, kind: decision.notify, status: next.status });
      const done = await deliverPending(options, key, next, (current?.version ?? 0) + 1);
      return { status: next.status, notified: done.kind, delivered: done.delivered, failed: done.failed };
    }
    return { status: next.status, delivered: completed?.delivered ?? [], failed: completed?.failed ?? [], ...(completed ? { notified: completed.kind } : {}) };
  }
  throw new AlertContentionError(`Alert ${key} is being updated by too many evaluations at once; the job will retry.`);
}

async function deliverPending(options: EvaluateAlertOptions, key: string, state: AlertState, version: number): Promise<{ kind: AlertKind; delivered: string[]; failed: string[] }> {
  const pending = state.pending!;
  const deliveries: Record<string, DeliveryRecord> = { ...pending.deliveries };
  const remaining = pending.destinations.filter((d) => !deliveries[d]);
  const retryLater: Array<{ destination: string; reason: string }> = [];
  const delivered: string[] = [];
  const failed: string[] = [];

  await Promise.all(
    remaining.map(async (destination) => {
      let outcome: DeliveryOutcome;
      try {
        outcome = await options.deliver(destination, pending.message);
      } catch (error) {
        const retryable = !(error instanceof ReportingError) || error.retryable;
        outcome = { ok: false, permanent: !retryable, reason: error instanceof Error ? error.message : String(error) };
      }
      const at = options.now.toISOString();
      if (outcome.ok) {
        deliveries[destination] = { status: 'delivered', at };
        delivered.push(destination);
      } else if (outcome.permanent) {
        deliveries[destination] = { status: 'failed', at, reason: outcome.reason };
        failed.push(destination);
      } else {
        retryLater.push({ destination, reason: outcome.reason });
      }
    }),
  );

  const { pending: _done, ...rest } = state;
  const next: AlertState =
    retryLater.length === 0
      ? { ...rest, lastNotification: { id: pending.message.id, kind: pending.message.kind, at: pending.message.at, deliveries } }
      : { ...rest, pending: { message: pending.message, destinations: pending.destinations, deliveries } };
  if (!(await options.store.put(key, next, version))) {
    options.logger?.warn('alert state changed while a notification was being sent (its claim expired?)', { alert: key, notification: pending.message.id });
  }
  options.logger?.info('alert notification sent', { alert: key, kind: pending.message.kind, delivered, failed, retryLater: retryLater.map((r) => r.destination) });
  if (retryLater.length > 0) {
    throw new AlertDeliveryError(
      `Alert ${pending.message.kind} for ${pending.message.subject.id}: ${retryLater.map((r) => `${r.destination} failed temporarily (${r.reason})`).join('; ')}. ` +
        `The job will retry those destinations only${delivered.length ? ` (already delivered: ${delivered.join(', ')})` : ''}.`,
    );
  }
  return { kind: pending.message.kind, delivered, failed };
}
