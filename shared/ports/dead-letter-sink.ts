import type { JobKind } from '../jobs/job-message.js';

/** A job that failed permanently, with the reason a person needs to fix and replay it. */
export interface DeadLetter {
  readonly kind: JobKind;
  /** The message body exactly as it was received (it may not even be valid JSON). */
  readonly body: string;
  readonly reason: string;
  /** Name of the error class, e.g. `KalturaApiError`. */
  readonly errorName: string;
  readonly failedAt: string;
  readonly attempts: number;
}

/**
 * Where permanently failed jobs go: the kind's SQS dead-letter queue (reason as message attributes)
 * in AWS, `DATA_DIR/dead-letters/` locally. `kreports replay` reads them back.
 */
export interface DeadLetterSink {
  send(letter: DeadLetter): Promise<void>;
}
