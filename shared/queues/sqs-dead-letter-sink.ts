/**
 * `DeadLetterSink` on SQS: the job's body as it was received, to the kind's dead-letter queue
 * (`DLQ_URL_ENV`), with the reason and its context as message attributes (reason, errorName,
 * failedAt, attempts, kind) so `kreports replay` and a person in the console can see why.
 */
import type { JobKind } from '../jobs/job-message.js';
import type { DeadLetterSink } from '../ports/dead-letter-sink.js';
import { sqsClient } from '../aws-clients/sqs.js';
import { sendBatchEntries, type SqsSender } from './sqs-job-queue.js';

/** SQS message attribute values are limited in size along with the message; keep reasons readable, not huge. */
const MAX_REASON = 4000;

export function createSqsDeadLetterSink(options: { readonly dlqUrls: Readonly<Record<JobKind, string>>; readonly client?: SqsSender }): DeadLetterSink {
  const client = options.client ?? sqsClient();
  return {
    async send(letter) {
      const attr = (v: string) => ({ DataType: 'String' as const, StringValue: v === '' ? '-' : v });
      await sendBatchEntries(client, options.dlqUrls[letter.kind], [
        {
          Id: 'dl',
          MessageBody: letter.body === '' ? '(empty message)' : letter.body,
          MessageAttributes: {
            reason: attr(letter.reason.slice(0, MAX_REASON)),
            errorName: attr(letter.errorName),
            failedAt: attr(letter.failedAt),
            attempts: { DataType: 'Number', StringValue: String(letter.attempts) },
            kind: attr(letter.kind),
          },
        },
      ]);
    },
  };
}
