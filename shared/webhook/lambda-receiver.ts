/**
 * The receiver wired for AWS Lambda behind an API Gateway HTTP API (payload format 2.0):
 * SQS job queues, the DynamoDB idempotency store, the S3 archive and the webhook secrets from
 * Secrets Manager — each through its AWS SDK v3 client (shared/aws-clients/), created once per
 * execution environment.
 *
 * The receiver is built on the first request, not at import: reading the bundled configuration and
 * the environment is cheap, and the first request pays it once.
 */
import { readBundledConfig } from '../config/bundled-config.js';
import { readLambdaEnv, urlsByKind, DLQ_URL_ENV, JOB_QUEUE_ENV_KEYS, QUEUE_URL_ENV } from '../runtime/lambda-env.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { createSqsJobQueue } from '../queues/sqs-job-queue.js';
import { createSqsDeadLetterSink } from '../queues/sqs-dead-letter-sink.js';
import { createDynamoDbIdempotencyStore } from '../idempotency/dynamodb-idempotency-store.js';
import { createS3BlobStore } from '../storage/s3-blob-store.js';
import { cachedSecretString, parseWebhookSecrets } from '../secrets/secrets-manager.js';
import { createReceiver, type Receiver, type ReceiverResponse } from './receiver.js';

/** The parts of `APIGatewayProxyEventV2` the receiver reads. */
export interface HttpApiEvent {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: { readonly requestId?: string; readonly http?: { readonly method?: string; readonly path?: string } };
}

export interface HttpApiResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
}

/** Event -> receiver request: the exact bytes (base64-decoded when API Gateway encoded them). */
export function requestFromEvent(event: HttpApiEvent): { headers: Record<string, string>; body: Buffer } {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (typeof v === 'string') headers[k.toLowerCase()] = v;
  const raw = event.body ?? '';
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  return { headers, body };
}

export function resultFromResponse(response: ReceiverResponse): HttpApiResult {
  return { statusCode: response.status, headers: response.headers, body: response.body, isBase64Encoded: false };
}

export async function createLambdaReceiver(env: NodeJS.ProcessEnv = process.env, logger: Logger = createLogger({ service: 'receiver' })): Promise<Receiver> {
  const e = readLambdaEnv(['REPORTING_CONFIG_PATH', 'BUCKET_NAME', 'STATE_TABLE_NAME', 'KALTURA_PARTNER_ID', 'WEBHOOK_SECRETS_SECRET', ...JOB_QUEUE_ENV_KEYS], env);
  const config = await readBundledConfig(String(e.REPORTING_CONFIG_PATH));
  const queueUrls = urlsByKind(e, QUEUE_URL_ENV);
  const dlqUrls = urlsByKind(e, DLQ_URL_ENV);
  const secretString = cachedSecretString(String(e.WEBHOOK_SECRETS_SECRET));
  return createReceiver({
    config,
    partnerId: Number(e.KALTURA_PARTNER_ID),
    secrets: async () => parseWebhookSecrets(await secretString()),
    queue: createSqsJobQueue({ queueUrls }),
    archive: createS3BlobStore({ bucket: String(e.BUCKET_NAME) }),
    idempotency: createDynamoDbIdempotencyStore({ tableName: String(e.STATE_TABLE_NAME) }),
    deadLetters: createSqsDeadLetterSink({ dlqUrls }),
    logger,
  });
}
