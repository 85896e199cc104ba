/**
 * One poll of a live-stream watch. Never sleeps: each invocation looks once and returns
 * `{ message, delaySeconds }` so the batch processor re-enqueues the job with an SQS delay, carrying
 * the watch's progress in `message.progress`.
 *
 * - Health (every `pollInterval`, default 10 s, seed §11.3): `beacon.list` health beacons of the
 *   entry; the latest beacon per stream (`0_` primary, `1_` backup); alert when its `maxSeverity`
 *   reaches `severityThreshold` (default 3), naming the stream(s).
 * - Viewers (every 30 s): `liveReports.getEvents` ENTRY_TIME_LINE over now-110 s .. now-20 s (the
 *   propagation delay of seed §11.1); alert when the latest count is below `minViewers`.
 * - Stop: after `maxDuration` (default 4 h) since the watch started, when the entry no longer exists,
 *   or when neither beacons nor viewers were seen for `idleStopMs` (default 10 min: the stream ended).
 */
import type { LiveHealthJob } from '../config/schema.js';
import type { JobMessage } from '../jobs/job-message.js';
import type { BeaconHealth, KalturaApi } from '../kaltura/kaltura-api.js';
import type { Reschedule } from '../queues/job-batch-processor.js';
import type { Logger } from '../logging/logger.js';
import type { Observation } from '../alerts/alert-message.js';
import { parseDurationMs } from '../alerts/duration.js';

export type LiveHealthMessage = JobMessage & { readonly spec: LiveHealthJob };

export const VIEWERS_INTERVAL_SECONDS = 30;
export const DEFAULT_IDLE_STOP_MS = 10 * 60_000;

export interface LiveWatchProgress {
  readonly [field: string]: unknown;
  readonly polls: number;
  readonly startedAt: string;
  /** Unix seconds of the last poll that saw beacons or viewers. */
  readonly lastActivityAt?: number;
  /** Unix seconds of the last viewers poll. */
  readonly lastViewersAt?: number;
  /** The latest viewer count seen. */
  readonly viewers?: number;
  /** Identifies this watch in the one-watch-per-stream lease. */
  readonly watchId?: string;
}

export type LiveAspect = 'health' | 'viewers';

export interface LiveWatchDeps {
  readonly api: KalturaApi;
  readonly now: () => Date;
  /** Hands an observation to the alert engine (one alert per aspect). */
  readonly evaluate: (aspect: LiveAspect, observation: Observation, message: LiveHealthMessage) => Promise<void>;
  readonly logger?: Logger;
  readonly idleStopMs?: number;
  /**
   * One watch per stream: true when this watch may poll (it holds the lease). Absent = no lease.
   * Called with the watch's id, now and how long a silent holder keeps the lease.
   */
  readonly holdLease?: (watchId: string, nowSeconds: number, staleAfterSeconds: number) => Promise<boolean>;
}

export interface LiveWatchOutcome {
  readonly next: Reschedule | undefined;
  /** Why the watch stopped, when it did. */
  readonly stopped?: 'max-duration' | 'stream-ended' | 'entry-missing' | 'duplicate';
}

const STREAM_WORD = { primary: 'primary', backup: 'backup' } as const;
const SEVERITY_WORD = ['debug', 'info', 'warning', 'error', 'critical'];

/** The newest health beacon of each stream. */
export function latestPerStream(beacons: ReadonlyArray<BeaconHealth>): BeaconHealth[] {
  const latest = new Map<string, BeaconHealth>();
  for (const b of beacons) {
    const seen = latest.get(b.stream);
    if (!seen || b.updatedAt > seen.updatedAt) latest.set(b.stream, b);
  }
  return [...latest.values()].sort((a, b) => (a.stream === b.stream ? 0 : a.stream === 'primary' ? -1 : 1));
}

export function healthObservation(beacons: ReadonlyArray<BeaconHealth>, threshold: number, viewers: number | undefined): Observation {
  const latest = latestPerStream(beacons);
  const bad = latest.filter((b) => (b.maxSeverity ?? 0) >= threshold);
  const describe = (b: BeaconHealth) => `${STREAM_WORD[b.stream]} stream severity ${b.maxSeverity ?? 'unknown'}${b.maxSeverity !== undefined ? ` (${SEVERITY_WORD[b.maxSeverity] ?? '?'})` : ''}`;
  const facts = [
    ...latest.map((b) => ({
      label: `${b.stream === 'primary' ? 'Primary' : 'Backup'} stream`,
      value: `maxSeverity ${b.maxSeverity ?? 'n/a'}${b.alerts.length ? `, alert codes ${b.alerts.map((a) => a.code).join(', ')}` : ''} at ${new Date(b.updatedAt * 1000).toISOString()}`,
    })),
    ...(latest.some((b) => b.stream === 'backup') ? [] : [{ label: 'Backup stream', value: 'no health beacon' }]),
    ...(viewers !== undefined ? [{ label: 'Viewers', value: String(viewers) }] : []),
  ];
  const worst = Math.max(...latest.map((b) => b.maxSeverity ?? 0));
  if (bad.length > 0) {
    const names = bad.map((b) => STREAM_WORD[b.stream]);
    return {
      status: 'firing',
      metric: 'maxSeverity',
      value: worst,
      condition: `>= ${threshold}`,
      description: `Stream health: ${bad.map(describe).join(' and ')}, at or above the threshold ${threshold}. ${names.includes('primary') && !names.includes('backup') ? 'Consider switching to the backup stream.' : ''}`.trim(),
      facts,
    };
  }
  return { status: 'ok', metric: 'maxSeverity', value: worst, condition: `>= ${threshold}`, description: `Stream health is fine: ${latest.map(describe).join(', ')}.`, facts };
}

export function viewersObservation(viewers: number, minViewers: number): Observation {
  const low = viewers < minViewers;
  return {
    status: low ? 'firing' : 'ok',
    metric: 'concurrent viewers',
    value: viewers,
    condition: `< ${minViewers}`,
    description: low ? `Only ${viewers} concurrent viewers, below the minimum of ${minViewers}.` : `${viewers} concurrent viewers (minimum ${minViewers}).`,
    facts: [],
  };
}

export async function watchLiveStream(message: LiveHealthMessage, deps: LiveWatchDeps): Promise<LiveWatchOutcome> {
  const spec = message.spec;
  const now = deps.now();
  const nowS = Math.floor(now.getTime() / 1000);
  const progress: LiveWatchProgress = (message.progress as LiveWatchProgress | undefined) ?? { polls: 0, startedAt: now.toISOString() };
  const startedMs = Date.parse(progress.startedAt);
  const pollSeconds = Math.max(1, Math.round(parseDurationMs(spec.pollInterval, '10s') / 1000));
  const maxDurationMs = parseDurationMs(spec.maxDuration, '4h');
  const idleStopMs = deps.idleStopMs ?? DEFAULT_IDLE_STOP_MS;
  const entryId = message.subject.id;

  if (now.getTime() - startedMs >= maxDurationMs) {
    deps.logger?.info('live watch reached its maximum duration; stopping', { entryId, polls: progress.polls });
    return { next: undefined, stopped: 'max-duration' };
  }

  const watchId = progress.watchId ?? message.jobId + ':' + now.getTime().toString(36) + Math.random().toString(36).slice(2, 8);
  if (deps.holdLease && !(await deps.holdLease(watchId, nowS, Math.max(60, 3 * pollSeconds)))) {
    deps.logger?.info('another watch is already polling this live stream; stopping this one', { entryId });
    return { next: undefined, stopped: 'duplicate' };
  }

  let subject = message.subject;
  if (progress.polls === 0) {
    const entry = await deps.api.getEntry(entryId);
    if (!entry) {
      deps.logger?.warn('live entry does not exist; stopping the watch', { entryId });
      return { next: undefined, stopped: 'entry-missing' };
    }
    if (!subject.name && entry.name) subject = { ...subject, name: entry.name };
  }
  const current: LiveHealthMessage = { ...message, subject };

  // Viewers every 30 s (for minViewers and to notice that the stream ended).
  let viewers = progress.viewers;
  let lastViewersAt = progress.lastViewersAt;
  let sawViewers = false;
  if (lastViewersAt === undefined || nowS - lastViewersAt >= VIEWERS_INTERVAL_SECONDS - 1) {
    const points = await deps.api.getLiveAudience({ entryId, fromTime: nowS - 110, toTime: nowS - 20 });
    lastViewersAt = nowS;
    const latest = points.at(-1);
    sawViewers = latest !== undefined;
    viewers = latest?.audience ?? 0;
  }

  const since = nowS - Math.max(60, 3 * pollSeconds);
  const beacons = await deps.api.listHealthBeacons({ entryIds: [entryId], since });
  const mine = beacons.filter((b) => b.objectId === '' || b.objectId === entryId);
  const active = mine.length > 0 || sawViewers;

  // The period looked at, in the partner's timezone (the job window's), for the alert message.
  const looked = (from: number, to: number) => ({ from, to, timezone: message.window.timezone, label: `live-${from}-${to}` });
  if (mine.length > 0) {
    await deps.evaluate('health', { ...healthObservation(mine, spec.severityThreshold ?? 3, viewers), window: looked(since, nowS) }, current);
  }
  if (spec.minViewers !== undefined && lastViewersAt === nowS && (active || (progress.lastActivityAt !== undefined))) {
    await deps.evaluate('viewers', { ...viewersObservation(viewers ?? 0, spec.minViewers), window: looked(nowS - 110, nowS - 20) }, current);
  }

  const lastActivityAt = active ? nowS : progress.lastActivityAt;
  const idleSinceMs = (lastActivityAt !== undefined ? lastActivityAt * 1000 : startedMs);
  if (!active && now.getTime() - idleSinceMs >= idleStopMs) {
    deps.logger?.info('live stream shows no beacons and no viewers; the stream ended, stopping the watch', { entryId, polls: progress.polls });
    return { next: undefined, stopped: 'stream-ended' };
  }

  const nextProgress: LiveWatchProgress = {
    polls: progress.polls + 1,
    startedAt: progress.startedAt,
    watchId,
    ...(lastActivityAt !== undefined ? { lastActivityAt } : {}),
    ...(lastViewersAt !== undefined ? { lastViewersAt } : {}),
    ...(viewers !== undefined ? { viewers } : {}),
  };
  return { next: { message: { ...current, progress: nextProgress }, delaySeconds: pollSeconds } };
}
