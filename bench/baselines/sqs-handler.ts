/**
 * Cold-start baseline for the receiver (and the scheduler): the handler any engineer would write
 * for "take a request, put one message on SQS" — the SDK v3 SQS client created once at module
 * scope (default credential chain and region), one SendMessageBatch per invocation. Bundled exactly
 * as the functions are (bench/bundles.bench.ts, infra/bundling.ts).
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({});

export const handler = async (event: { body?: string | null }): Promise<{ statusCode: number; body: string }> => {
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: process.env.EXPORT_QUEUE_URL, Entries: [{ Id: '1', MessageBody: event.body || '{}' }] }));
  return { statusCode: 200, body: '{"ok":true}' };
};
