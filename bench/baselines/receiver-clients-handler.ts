/**
 * Information, not a target: the receiver's four SDK v3 clients in a minimal handler — Secrets
 * Manager GetSecretValue, DynamoDB PutItem (conditional), S3 PutObject, SQS SendMessageBatch, one
 * call each, clients at module scope. Set beside the receiver it separates what those SDK clients
 * cost from what the project's own code adds (bench/bundles.bench.ts).
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';

const secrets = new SecretsManagerClient({});
const dynamodb = new DynamoDBClient({});
const s3 = new S3Client({});
const sqs = new SQSClient({});

export const handler = async (event: { body?: string | null; requestContext?: { requestId?: string } }): Promise<{ statusCode: number; body: string }> => {
  const id = event.requestContext?.requestId ?? String(Date.now());
  await secrets.send(new GetSecretValueCommand({ SecretId: process.env.WEBHOOK_SECRETS_SECRET }));
  await dynamodb.send(new PutItemCommand({ TableName: process.env.STATE_TABLE_NAME, Item: { pk: { S: `baseline#${id}` } }, ConditionExpression: 'attribute_not_exists(pk)' }));
  await s3.send(new PutObjectCommand({ Bucket: process.env.BUCKET_NAME, Key: `baseline/${id}.json`, Body: event.body || '{}', ContentType: 'application/json' }));
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: process.env.EXPORT_QUEUE_URL, Entries: [{ Id: '1', MessageBody: event.body || '{}' }] }));
  return { statusCode: 200, body: '{"ok":true}' };
};
