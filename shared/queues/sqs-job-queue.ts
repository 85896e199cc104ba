/**
 * `JobQueue` on SQS: one queue per job kind (URL from the Lambda environment, `QUEUE_URL_ENV`),
 * `SendMessageBatch` in chunks of 10 entries (and under the batch byte limit). Entries SQS reports
 * as failed are sent again a few times; if some still fail, a retryable error is thrown, so the
 * caller (the receiver) answers 503 and Kaltura retries. Messages that did go are not rolled back:
 * job ids are deterministic and every worker's effects are idempotent by job id (SPEC §4).
 *
 * Speaks the SQS JSON protocol through the small signed client (no AWS SDK at cold start).
 */
import type { JobKind, JobMessage } from '../jobs/job-message.js';
import type { JobQueue } from '../ports/job-queue.js';
import { ReportingError } from '../errors/base-error.js';
import { createAwsJsonClient, type AwsJsonClient } from '../aws/aws-json-client.js';
import type { AwsHttpOptions } from '../aws/aws-http.js';

export class QueueSendError extends ReportingError {
  readonly retryable = true;
}

export const SQS_BATCH_ENTRIES = 10;
/** SQS's limit for a whole batch (and a message) is 256 KiB; stay under it. */
export const SQS_BATCH_BYTES = 250 * 1024;

export interface SqsBatchEntry {
  readonly Id: string;
  readonly MessageBody: string;
  readonly DelaySeconds?: number;
  readonly MessageAttributes?: Record<string, { DataType: 'String' | 'Number'; StringValue: string }>;
}

interface SendMessageBatchOutput {
  Successful?: Array<{ Id: string; MessageId: string }>;
  Failed?: Array<{ Id: string; SenderFault?: boolean; Code?: string; Message?: string }>;
}

export function createSqsClient(options: Partial<AwsHttpOptions> & { endpoint?: string } = {}): AwsJsonClient {
  return createAwsJsonClient({ service: 'sqs', targetPrefix: 'AmazonSQS', jsonVersion: '1.0', ...options });
}

/** Splits entries into batches of at most 10 and under the byte limit. */
export function chunkEntries<T extends { MessageBody: string }>(entries: ReadonlyArray<T>): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.MessageBody) + 512; // attributes and JSON framing
    if (current.length > 0 && (current.length === SQS_BATCH_ENTRIES || bytes + size > SQS_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Sends every entry to `queueUrl`, resending failed entries up to `attempts` times. */
export async function sendBatchEntries(client: AwsJsonClient, queueUrl: string, entries: ReadonlyArray<SqsBatchEntry>, attempts = 3): Promise<void> {
  for (const batch of chunkEntries(entries)) {
    let pending = batch;
    let lastFailures: NonNullable<SendMessageBatchOutput['Failed']> = [];
    for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt++) {
      const out = await client.call<SendMessageBatchOutput>('SendMessageBatch', { QueueUrl: queueUrl, Entries: pending });
      lastFailures = out.Failed ?? [];
      const failedIds = new Set(lastFailures.map((f) => f.Id));
      pending = pending.filter((e) => failedIds.has(e.Id));
      // A sender fault (message too big, bad attribute) will not get better by retrying.
      if (lastFailures.some((f) => f.SenderFault)) break;
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 50 * attempt));
    }
    if (pending.length > 0) {
      const codes = [...new Set(lastFailures.map((f) => f.Code ?? 'unknown'))].join(', ');
      throw new QueueSendError(`SQS did not accept ${pending.length} of ${batch.length} messages (${codes}). Retry; if it persists check the queue and its permissions.`);
    }
  }
}

export interface SqsJobQueueOptions {
  /** Queue URL per kind (from `QUEUE_URL_ENV` in the Lambda environment). */
  readonly queueUrls: Readonly<Record<JobKind, string>>;
  readonly client?: AwsJsonClient;
}

export function createSqsJobQueue(options: SqsJobQueueOptions): JobQueue {
  const client = options.client ?? createSqsClient();
  return {
    async send(kind, messages: ReadonlyArray<JobMessage>, sendOptions) {
      if (messages.length === 0) return;
      const url = options.queueUrls[kind];
      const entries: SqsBatchEntry[] = messages.map((m, i) => ({
        Id: `m${i}`,
        MessageBody: JSON.stringify(m),
        ...(sendOptions?.delaySeconds ? { DelaySeconds: Math.min(900, Math.max(0, Math.round(sendOptions.delaySeconds))) } : {}),
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: kind },
          jobId: { DataType: 'String', StringValue: m.jobId },
          rule: { DataType: 'String', StringValue: m.rule || '-' },
        },
      }));
      await sendBatchEntries(client, url, entries);
    },
  };
}
