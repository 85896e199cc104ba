/**
 * The AWS wiring of the check and live-health workers: SQS event in, `processJobBatch` with the
 * alert engine's handler, AWS adapters around it (DynamoDB state, SQS queue and dead-letter queue,
 * SNS operator topic, Kaltura credentials from Secrets Manager). Everything is built on the first
 * invocation and kept for the life of the execution environment; a failed start is retried on the
 * next invocation (the batch is retried by SQS meanwhile).
 */
import { readFileSync } from 'node:fs';
import { validateConfig } from '../config/load-config.js';
import { JOB_KINDS, type JobKind } from '../jobs/job-message.js';
import { createKalturaClient } from '../kaltura/kaltura-client.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { MAX_RECEIVE_COUNT, processJobBatch, type BatchResponse, type JobHandler, type QueueRecord } from '../queues/job-batch-processor.js';
import { createSqsDeadLetterSink } from '../queues/sqs-dead-letter-sink.js';
import { createSqsJobQueue } from '../queues/sqs-job-queue.js';
import { DLQ_URL_ENV, QUEUE_URL_ENV, readLambdaEnv } from '../runtime/lambda-env.js';
import { cachedSecretString } from '../aws/secrets-manager-lite.js';
import { ValidationError } from '../errors/base-error.js';
import { z } from '../validation/zod.js';
import { createDynamoStateStore } from '../state/dynamodb-state-store.js';
import { createCheckJobHandler, createLiveHealthJobHandler, type JobHandlerDeps } from './create-alert-engine.js';
import { createSnsOperatorNotifier } from './operator-notifier.js';

/** `KALTURA_CREDENTIALS_SECRET` (JSON): an admin secret, an app token, or both. */
const CredentialsSchema = z.object({
  adminSecret: z.optional(z.string().check(z.minLength(1))),
  appTokenId: z.optional(z.string().check(z.minLength(1))),
  appToken: z.optional(z.string().check(z.minLength(1))),
  appTokenHashType: z.optional(z.enum(['SHA1', 'SHA256', 'SHA512', 'MD5'])),
});

export async function readKalturaCredentials(secretName: string): Promise<z.infer<typeof CredentialsSchema>> {
  const text = await cachedSecretString(secretName)();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ValidationError(`The Kaltura credentials secret "${secretName}" is not JSON; store {"adminSecret": "..."} or {"appTokenId": "...", "appToken": "..."}.`);
  }
  const parsed = CredentialsSchema.safeParse(raw);
  if (!parsed.success || (!parsed.data.adminSecret && !(parsed.data.appTokenId && parsed.data.appToken))) {
    throw new ValidationError(`The Kaltura credentials secret "${secretName}" needs "adminSecret", or "appTokenId" and "appToken".`);
  }
  return parsed.data;
}

interface Worker {
  readonly handler: JobHandler;
  readonly run: (records: ReadonlyArray<QueueRecord>) => Promise<BatchResponse>;
}

async function start(kind: 'check' | 'live-health', logger: Logger): Promise<Worker> {
  const env = readLambdaEnv([
    'REPORTING_CONFIG_PATH',
    'STATE_TABLE_NAME',
    'OPERATOR_TOPIC_ARN',
    'KALTURA_SERVICE_URL',
    'KALTURA_PARTNER_ID',
    'KALTURA_REPORTS_URL',
    'KALTURA_CREDENTIALS_SECRET',
    ...JOB_KINDS.map((k) => QUEUE_URL_ENV[k]),
    ...JOB_KINDS.map((k) => DLQ_URL_ENV[k]),
  ]);
  // The stack bundles the configuration as validated JSON (no YAML parser in the function).
  const config = validateConfig(JSON.parse(readFileSync(env.REPORTING_CONFIG_PATH, 'utf8')), env.REPORTING_CONFIG_PATH);
  const credentials = await readKalturaCredentials(env.KALTURA_CREDENTIALS_SECRET);
  const api = createKalturaClient({
    serviceUrl: env.KALTURA_SERVICE_URL,
    partnerId: env.KALTURA_PARTNER_ID,
    ...(env.KALTURA_REPORTS_URL ? { reportsUrl: env.KALTURA_REPORTS_URL } : {}),
    ...(credentials.adminSecret ? { adminSecret: credentials.adminSecret } : {}),
    ...(credentials.appTokenId && credentials.appToken ? { appToken: { id: credentials.appTokenId, token: credentials.appToken, hashType: credentials.appTokenHashType ?? 'SHA1' } } : {}),
    logger,
  });
  const deps: JobHandlerDeps = {
    api,
    config,
    stateStore: createDynamoStateStore({ tableName: env.STATE_TABLE_NAME }),
    operator: createSnsOperatorNotifier({ topicArn: env.OPERATOR_TOPIC_ARN, logger }),
    logger,
  };
  const handler = kind === 'check' ? createCheckJobHandler(deps) : createLiveHealthJobHandler(deps);
  const urls = (map: Record<JobKind, string>) => Object.fromEntries(JOB_KINDS.map((k) => [k, (env as Record<string, unknown>)[map[k]] as string])) as Record<JobKind, string>;
  const queue = createSqsJobQueue({ queueUrls: urls(QUEUE_URL_ENV) });
  const deadLetters = createSqsDeadLetterSink({ dlqUrls: urls(DLQ_URL_ENV) });
  return { handler, run: (records) => processJobBatch(records, { kind, handler, queue, deadLetters, logger, maxAttempts: MAX_RECEIVE_COUNT[kind] }) };
}

/** The Lambda handler of a worker: an SQS event in, partial batch failures out. */
export function createAlertWorkerLambda(kind: 'check' | 'live-health'): (event: { Records?: ReadonlyArray<QueueRecord> }) => Promise<BatchResponse> {
  const logger = createLogger({ service: `${kind}-worker` });
  let worker: Promise<Worker> | undefined;
  return async (event) => {
    worker ??= start(kind, logger).catch((error: unknown) => {
      worker = undefined;
      logger.error('worker could not start', { error });
      throw error;
    });
    return (await worker).run(event.Records ?? []);
  };
}
