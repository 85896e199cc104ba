/**
 * `JobQueue` on SQS: one queue per job kind (URL from the Lambda environment, `QUEUE_URL_ENV`),
 * `SendMessageBatch` in chunks of 10 entries (and under the batch byte limit). Entries SQS reports
 * as failed are sent again a few times; if some still fail, a retryable error is thrown, so the
 * caller (the receiver) answers 503 and Kaltura retries. Messages that did go are not rolled back:
 * job ids are deterministic and every worker's effects are idempotent by job id (SPEC §4).
 *
 * Through `@aws-sdk/client-sqs` (one client per execution environment, shared/aws-clients/sqs.ts).
 */
import type { JobKind, JobMessage } from '../jobs/job-message.js';
import type { JobQueue } from '../ports/job-queue.js';
import { ReportingError } from '../errors/base-error.js';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { sqsClient } from '../aws-clients/sqs.js';
import { describeAwsError, isRetryableAwsError } from '../aws-clients/aws-errors.js';

export class QueueSendError extends ReportingError {
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options);
    this.retryable = options?.retryable ?? true;
  }
}

export const SQS_BATCH_ENTRIES = 10;
/** SQS's limit for a whole batch (and a message) is 256 KiB; stay under it. */
export const SQS_BATCH_BYTES = 250 * 1024;

export type SqsBatchEntry = SendMessageBatchRequestEntry & { readonly Id: string; readonly MessageBody: string };

/** What the adapters need of an SQS client (tests may pass a client built for a loopback peer). */
export type SqsSender = Pick<SQSClient, 'send'>;

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
export async function sendBatchEntries(client: SqsSender, queueUrl: string, entries: ReadonlyArray<SqsBatchEntry>, attempts = 3): Promise<void> {
  for (const batch of chunkEntries(entries)) {
    let pending = batch;
    let lastFailures: Array<{ Id?: string; SenderFault?: boolean; Code?: string }> = [];
    for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt++) {
      let out;
      try {
        // The SDK itself retries throttling, 5xx and network failures of the whole call.
        out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      } catch (error) {
        const retryable = isRetryableAwsError(error);
        throw new QueueSendError(`${describeAwsError('SQS SendMessageBatch', error)}. ${retryable ? 'Retry' : 'Check the queue URL and the permissions (sqs:SendMessage)'}.`, { cause: error, retryable });
      }
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
  /** Default: the execution environment's shared SQS client. */
  readonly client?: SqsSender;
}

export function createSqsJobQueue(options: SqsJobQueueOptions): JobQueue {
  const client = options.client ?? sqsClient();
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
