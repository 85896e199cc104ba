import type { JobKind, JobMessage } from '../jobs/job-message.js';

/**
 * Where jobs go. One queue per job kind (their timeouts and concurrency differ).
 * Adapters: SQS (`shared/queues/sqs-job-queue.ts`) and the in-process, persisted local queue
 * (`local/`). `send` resolves only once every message is durably accepted; it throws otherwise.
 */
export interface JobQueue {
  send(kind: JobKind, messages: ReadonlyArray<JobMessage>, options?: { delaySeconds?: number }): Promise<void>;
}
