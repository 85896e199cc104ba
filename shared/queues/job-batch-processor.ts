/**
 * Runs a job handler over a batch of queue records — SQS event records in Lambda, the same shape
 * from the local queue — and answers with SQS partial batch failures.
 *
 * Why not retry everything: a permanent error (bad message, Kaltura says SERVICE_FORBIDDEN, a
 * destination answers 410) would go round and round until maxReceiveCount and then land in the
 * dead-letter queue without a word about why. Here it goes to the dead-letter sink at once, with its
 * reason, and is deleted from the source queue. Retryable errors are reported as batch item failures
 * so SQS redelivers them after the visibility timeout; on the last allowed attempt they too are
 * dead-lettered with the last error as the reason.
 *
 * The batch itself — running the records, collecting the failed ones, the `batchItemFailures`
 * response — is Powertools' `BatchProcessor`; what is ours is each record's fate (above) and a bound
 * on how many records run at once (Powertools runs them all at once, or one after another): every
 * record is a Kaltura call, and the Kaltura API is the shared budget (docs/powertools.md).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSRecord } from 'aws-lambda';
import { JobMessageSchema, type JobKind, type JobMessage } from '../jobs/job-message.js';
import { formatIssues } from '../validation/format-issues.js';
import { ReportingError } from '../errors/base-error.js';
import { deferralSecondsFor, MAX_BACK_OFF_SECONDS, waitReasonOf } from '../errors/back-off.js';
import type { DeadLetterSink } from '../ports/dead-letter-sink.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { Logger } from '../logging/logger.js';
import { ConcurrencyLimit } from '../kaltura/concurrency-limit.js';

/** The part of an SQS record we use. */
export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  readonly attributes?: { readonly ApproximateReceiveCount?: string };
}

export interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/** A handler may ask to be called again later with updated progress (polling without sleeping). */
export interface Reschedule {
  readonly message: JobMessage;
  readonly delaySeconds: number;
}

export interface JobContext {
  readonly logger: Logger;
  /** 1 on first delivery. */
  readonly attempt: number;
  /** Attempts allowed before a retryable failure is dead-lettered (so a handler can tell the last one). */
  readonly maxAttempts?: number;
}

export type JobHandler = (message: JobMessage, context: JobContext) => Promise<Reschedule | void>;

export interface BatchProcessorOptions {
  readonly kind: JobKind;
  readonly handler: JobHandler;
  readonly queue: JobQueue;
  readonly deadLetters: DeadLetterSink;
  readonly logger: Logger;
  /** Attempts before a retryable failure is dead-lettered; match the queue's maxReceiveCount. Default 5. */
  readonly maxAttempts?: number;
  /** Records processed at once. Default 4 (the Kaltura API is the bottleneck, not CPU). */
  readonly concurrency?: number;
}

/** Thrown by a handler for a message that is valid but can never succeed. */
export class PermanentJobError extends ReportingError {
  readonly retryable = false;
}

/**
 * Receives before a job queue redrives a message to its dead-letter queue (SQS `maxReceiveCount`,
 * the local queue's too), per kind. Workers pass the same number as `maxAttempts`, so the last
 * receive is dead-lettered here with the real error as its reason; with a larger `maxAttempts`, SQS
 * would move the message itself, without a reason.
 */
export const MAX_RECEIVE_COUNT: Readonly<Record<JobKind, number>> = { check: 5, 'live-health': 5, export: 3, microservice: 5 };

/** The SQS maximum delay; longer waits are chained. */
export const MAX_DELAY_SECONDS = 900;

/** How long a job keeps being deferred while Kaltura asks to back off (shared/errors/back-off.ts). */
export { MAX_BACK_OFF_SECONDS };

/** A record left for SQS to deliver again (its reason is already logged): a batch item failure. */
class LeftOnQueueError extends ReportingError {
  readonly retryable = true;
}

export async function processJobBatch(records: ReadonlyArray<QueueRecord>, options: BatchProcessorOptions): Promise<BatchResponse> {
  const maxAttempts = options.maxAttempts ?? 5;
  const limit = new ConcurrencyLimit(Math.max(1, options.concurrency ?? 4));
  // Powertools logs through our logger (its default is the console); record failures are ours to log, and are.
  const processor = new BatchProcessor(EventType.SQS, {
    logger: { debug: () => undefined, warn: (...args: unknown[]) => options.logger.warn(String(args[0])), error: (...args: unknown[]) => options.logger.error(String(args[0])) },
  });
  const handleRecord = async (record: SQSRecord) => {
    const release = await limit.acquire();
    try {
      if (!(await processOne(record, options, maxAttempts))) throw new LeftOnQueueError(`message ${record.messageId} left on the queue for another attempt`);
    } finally {
      release();
    }
  };
  // Local queues hand over the parts of an SQS record the processor reads (messageId, body, attributes).
  const response = await processPartialResponse({ Records: records as unknown as SQSRecord[] }, handleRecord, processor, { throwOnFullBatchFailure: false });
  return { batchItemFailures: response.batchItemFailures.map((f) => ({ itemIdentifier: f.itemIdentifier })) };
}

async function processOne(record: QueueRecord, options: BatchProcessorOptions, maxAttempts: number): Promise<boolean> {
  const attempt = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
  const deadLetter = async (reason: string, errorName: string) => {
    await options.deadLetters.send({ kind: options.kind, body: record.body, reason, errorName, failedAt: new Date().toISOString(), attempts: attempt });
    options.logger.metric('JobDeadLettered', 1, { kind: options.kind });
  };

  // A dead-letter write that fails leaves the record to SQS (a batch item failure), never fails the whole batch.
  const deadLetterInvalid = async (reason: string): Promise<boolean> => {
    try {
      await deadLetter(reason, 'ValidationError');
      return true;
    } catch (sinkError) {
      options.logger.error('could not dead-letter the job; leaving it on the queue', { messageId: record.messageId, error: sinkError });
      return false;
    }
  };

  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    options.logger.error('job message is not JSON', { messageId: record.messageId });
    return deadLetterInvalid('Job message is not JSON');
  }
  const parsed = JobMessageSchema.safeParse(body);
  if (!parsed.success) {
    const details = formatIssues('job message', parsed.error.issues);
    options.logger.error('invalid job message', { messageId: record.messageId, details });
    return deadLetterInvalid(`Invalid job message: ${details.join('; ')}`);
  }
  const message: JobMessage = parsed.data;

  const logger = options.logger.child({ jobId: message.jobId, rule: message.rule, job: message.spec.name, kind: options.kind, attempt });
  try {
    const next = await options.handler(message, { logger, attempt, maxAttempts });
    if (next) {
      // A step that succeeded ends any back-off episode: the next 429 starts a new one (its own MAX_BACK_OFF_SECONDS).
      const { backOff: _ended, ...continued } = next.message;
      await options.queue.send(options.kind, [continued], { delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(next.delaySeconds))) });
      logger.info('job rescheduled', { delaySeconds: next.delaySeconds });
    } else {
      logger.info('job done');
    }
    logger.metric('JobSucceeded', 1, { kind: options.kind });
    return true;
  } catch (error) {
    if (await deferOnBackOff(error, message, options, logger)) return true;
    const retryable = !(error instanceof ReportingError) || error.retryable;
    const name = error instanceof Error ? error.name : 'Error';
    const reason = error instanceof Error ? error.message : String(error);
    if (!retryable || attempt >= maxAttempts) {
      logger.error('job failed permanently', { error, attempts: attempt });
      try {
        await deadLetter(retryable ? `Gave up after ${attempt} attempts: ${reason}` : reason, name);
      } catch (sinkError) {
        // Could not record it: let SQS keep it (its own redrive policy is the last safety net).
        logger.error('could not dead-letter the job; leaving it on the queue', { error: sinkError });
        return false;
      }
      return true;
    }
    logger.warn('job failed, will retry', { error, attempt });
    logger.metric('JobRetried', 1, { kind: options.kind });
    return false;
  }
}

/**
 * Kaltura asked to back off (a typed error carrying `retryAfterSeconds`, shared/errors/back-off.ts):
 * the job is sent again with that delay (plus up to 20 % jitter, so a burst does not come back all at
 * once) and the received copy is deleted. Unlike a batch item failure, this costs no receive attempt,
 * so a long 429 period never pushes jobs into the dead-letter queue. Same on SQS and the local queue:
 * both are the JobQueue port. Returns false (the ordinary retry path) when the job has been backing off
 * for MAX_BACK_OFF_SECONDS already, or when the re-send fails.
 */
async function deferOnBackOff(error: unknown, message: JobMessage, options: BatchProcessorOptions, logger: Logger): Promise<boolean> {
  const now = Date.now();
  const seconds = deferralSecondsFor(error, message, now);
  if (seconds === undefined) return false;
  const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(seconds * (1 + Math.random() * 0.2))));
  const deferred: JobMessage = { ...message, backOff: { count: (message.backOff?.count ?? 0) + 1, since: message.backOff?.since ?? new Date(now).toISOString() } };
  try {
    await options.queue.send(options.kind, [deferred], { delaySeconds });
  } catch (sendError) {
    logger.warn('could not defer the job; it will be retried as a failure', { error: sendError });
    return false;
  }
  logger.warn(`${waitReasonOf(error)}; job deferred without using an attempt`, { delaySeconds, deferrals: deferred.backOff!.count, error });
  logger.metric('JobDeferred', 1, { kind: options.kind });
  return true;
}
