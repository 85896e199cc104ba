/**
 * Per job kind: how long one job may run, how many run at once against Kaltura, how SQS batches
 * them and when a stuck queue raises an alarm. The queue settings are derived from these (visibility
 * timeout = 6 x function timeout + batching window, as AWS recommends for SQS event sources), so
 * they cannot drift apart.
 */
import { Duration } from 'aws-cdk-lib';
import type { JobKind } from '../shared/jobs/job-message.js';
import { MAX_RECEIVE_COUNT } from '../shared/queues/job-batch-processor.js';

export interface WorkerSettings {
  readonly kind: JobKind;
  /** Directory under `functions/` holding `index.ts`. */
  readonly functionName: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  /** Lambda SQS event source `maxConcurrency` (2..1000): caps parallel calls to the Kaltura API. */
  readonly maxConcurrency: number;
  /** Receives before SQS moves a message to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Alarm when the oldest message has waited this long. */
  readonly oldestMessageAlarm: Duration;
  /**
   * The worker re-enqueues its own job (with an SQS delay) to poll again. Lambda's recursive loop
   * detection would stop such a chain after ~16 hops (a 4 h live watch polls hundreds of times), so
   * these functions are marked as intentionally recursive; every chain ends by itself (stream ended,
   * `maxDuration`, `maxWait`).
   */
  readonly repollsThroughQueue: boolean;
  readonly why: string;
}

export const WORKERS: Readonly<Record<JobKind, WorkerSettings>> = {
  check: {
    kind: 'check',
    functionName: 'check-worker',
    timeout: Duration.seconds(60),
    memorySize: 512,
    batchSize: 10,
    maxBatchingWindow: Duration.seconds(2),
    maxConcurrency: 5,
    maxReceiveCount: MAX_RECEIVE_COUNT.check,
    oldestMessageAlarm: Duration.minutes(30),
    repollsThroughQueue: false,
    why: 'one multirequest per check plus alert delivery (Slack 429 Retry-After included); small and frequent, batched',
  },
  'live-health': {
    kind: 'live-health',
    functionName: 'live-health-worker',
    timeout: Duration.seconds(60),
    memorySize: 512,
    batchSize: 10,
    maxBatchingWindow: Duration.seconds(0),
    maxConcurrency: 5,
    maxReceiveCount: MAX_RECEIVE_COUNT['live-health'],
    oldestMessageAlarm: Duration.minutes(10),
    repollsThroughQueue: true,
    why: 'beacon.list + liveReports polls every 10-30 s through SQS delays: latency matters, no batching window',
  },
  export: {
    kind: 'export',
    functionName: 'export-worker',
    timeout: Duration.minutes(15),
    memorySize: 1024,
    batchSize: 1,
    maxBatchingWindow: Duration.seconds(0),
    maxConcurrency: 3,
    maxReceiveCount: MAX_RECEIVE_COUNT.export,
    oldestMessageAlarm: Duration.hours(3),
    repollsThroughQueue: false,
    why: 'a single export can stream millions of rows for minutes; one per invocation so one big export never delays or fails another',
  },
  microservice: {
    kind: 'microservice',
    functionName: 'microservice-worker',
    timeout: Duration.minutes(10),
    memorySize: 1024,
    batchSize: 1,
    maxBatchingWindow: Duration.seconds(0),
    maxConcurrency: 2,
    maxReceiveCount: MAX_RECEIVE_COUNT.microservice,
    oldestMessageAlarm: Duration.hours(3),
    repollsThroughQueue: true,
    why: 'mostly quick status polls (re-enqueued with a delay), but the final step downloads the report to S3',
  },
};

export const RECEIVER = {
  functionName: 'receiver',
  /** Kaltura waits for the answer; API Gateway HTTP APIs stop at 30 s. */
  timeout: Duration.seconds(10),
  memorySize: 512,
} as const;

export const SCHEDULER = {
  functionName: 'scheduler',
  timeout: Duration.seconds(60),
  memorySize: 256,
} as const;

/** AWS guidance for SQS event sources: visibility timeout >= 6 x function timeout (+ batching window). */
export function visibilityTimeoutFor(settings: WorkerSettings): Duration {
  return Duration.seconds(6 * settings.timeout.toSeconds() + settings.maxBatchingWindow.toSeconds());
}
