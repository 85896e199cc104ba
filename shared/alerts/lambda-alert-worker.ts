/**
 * The AWS wiring of the check and live-health workers: SQS event in, `processJobBatch` with the
 * alert engine's handler, AWS adapters around it (DynamoDB state, SQS queue and dead-letter queue,
 * SNS operator topic, Kaltura credentials from Secrets Manager). Everything is built on the first
 * invocation and kept for the life of the execution environment; a failed start is retried on the
 * next invocation (the batch is retried by SQS meanwhile).
 */
import { readBundledConfig } from '../config/bundled-config.js';
import { createKalturaClient } from '../kaltura/kaltura-client.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { MAX_RECEIVE_COUNT, processJobBatch, type BatchResponse, type JobHandler, type QueueRecord } from '../queues/job-batch-processor.js';
import { kalturaOptionsFromLambdaEnv, lazyWorkerLambda, readKalturaCredentials, type Worker } from '../runtime/lambda-worker.js';
import { createSqsDeadLetterSink } from '../queues/sqs-dead-letter-sink.js';
import { createSqsJobQueue } from '../queues/sqs-job-queue.js';
import { DLQ_URL_ENV, JOB_QUEUE_ENV_KEYS, QUEUE_URL_ENV, readLambdaEnv, urlsByKind } from '../runtime/lambda-env.js';
import { createDynamoStateStore } from '../state/dynamodb-state-store.js';
import { createCheckJobHandler, createLiveHealthJobHandler, type JobHandlerDeps } from './create-alert-engine.js';
import { createSnsOperatorNotifier } from './operator-notifier.js';

async function start(kind: 'check' | 'live-health', logger: Logger): Promise<Worker & { readonly handler: JobHandler }> {
  const env = readLambdaEnv([
    'REPORTING_CONFIG_PATH',
    'STATE_TABLE_NAME',
    'OPERATOR_TOPIC_ARN',
    'KALTURA_SERVICE_URL',
    'KALTURA_PARTNER_ID',
    'KALTURA_REPORTS_URL',
    'KALTURA_CREDENTIALS_SECRET',
    ...JOB_QUEUE_ENV_KEYS,
  ]);
  // The stack bundles the configuration as validated JSON (no YAML parser in the function).
  const config = await readBundledConfig(env.REPORTING_CONFIG_PATH);
  const credentials = await readKalturaCredentials(env.KALTURA_CREDENTIALS_SECRET);
  const api = createKalturaClient(kalturaOptionsFromLambdaEnv(env, credentials, logger));
  const deps: JobHandlerDeps = {
    api,
    config,
    stateStore: createDynamoStateStore({ tableName: env.STATE_TABLE_NAME }),
    operator: createSnsOperatorNotifier({ topicArn: env.OPERATOR_TOPIC_ARN, logger }),
    logger,
  };
  const handler = kind === 'check' ? createCheckJobHandler(deps) : createLiveHealthJobHandler(deps);
  const queue = createSqsJobQueue({ queueUrls: urlsByKind(env, QUEUE_URL_ENV) });
  const deadLetters = createSqsDeadLetterSink({ dlqUrls: urlsByKind(env, DLQ_URL_ENV) });
  return { handler, run: (records) => processJobBatch(records, { kind, handler, queue, deadLetters, logger, maxAttempts: MAX_RECEIVE_COUNT[kind] }) };
}

/** The Lambda handler of a worker: an SQS event in, partial batch failures out. */
export function createAlertWorkerLambda(kind: 'check' | 'live-health'): (event: { Records?: ReadonlyArray<QueueRecord> }) => Promise<BatchResponse> {
  const logger = createLogger({ service: `${kind}-worker` });
  return lazyWorkerLambda(logger, () => start(kind, logger));
}
