/**
 * Cold-start baseline for the queue workers: the handler any engineer would write for "an SQS job
 * in, an object to S3 and a message to SQS out" — the SDK v3 S3 and SQS clients created once at
 * module scope, per invocation one PutObject and one SendMessage, partial batch response shape.
 * Bundled exactly as the functions are (bench/bundles.bench.ts, infra/bundling.ts).
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const s3 = new S3Client({});
const sqs = new SQSClient({});

export const handler = async (event: { Records?: Array<{ messageId: string; body: string }> }): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> => {
  for (const record of event.Records ?? []) {
    await s3.send(new PutObjectCommand({ Bucket: process.env.BUCKET_NAME, Key: `baseline/${record.messageId}.json`, Body: record.body, ContentType: 'application/json' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: process.env.EXPORT_QUEUE_URL, MessageBody: record.body }));
  }
  return { batchItemFailures: [] };
};
