/**
 * The AWS wiring of the export and microservice workers: SQS event in, `processJobBatch` with the
 * export or microservice handler, AWS adapters around it (S3 blob store, SQS job queue for
 * re-polls, SQS dead-letter queue with reasons, Kaltura credentials from Secrets Manager).
 * Everything is built on the first invocation and kept for the life of the execution environment;
 * a failed start is retried on the next invocation (SQS redelivers the batch meanwhile).
 *
 * Cold start: only this module's small graph is evaluated at init; the Kaltura client (undici),
 * the configuration loader and the AWS SDK clients (S3, SQS, Secrets Manager) are loaded on the
 * first invocation (docs/exports.md).
 */
import type { JobKind } from '../jobs/job-message.js';
import type { ReportingConfig } from '../config/schema.js';
import type { KalturaApi } from '../kaltura/kaltura-api.js';
import type { StateStore } from '../ports/state-store.js';
import type { AlertEngine } from '../alerts/create-alert-engine.js';
import { createSummaryNotifier } from './summary-notifier.js';
import type { SummaryNotifier } from './summary.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { MAX_RECEIVE_COUNT, processJobBatch, type BatchResponse, type JobHandler, type QueueRecord } from '../queues/job-batch-processor.js';
import { DLQ_URL_ENV, JOB_QUEUE_ENV_KEYS, QUEUE_URL_ENV, readLambdaEnv, urlsByKind } from '../runtime/lambda-env.js';
import { kalturaOptionsFromLambdaEnv, lazyWorkerLambda, readKalturaCredentials, type Worker } from '../runtime/lambda-worker.js';

type WorkerKind = Extract<JobKind, 'export' | 'microservice'>;

async function start(kind: WorkerKind, logger: Logger): Promise<Worker> {
  const env = readLambdaEnv([
    'REPORTING_CONFIG_PATH',
    'BUCKET_NAME',
    'KALTURA_SERVICE_URL',
    'KALTURA_PARTNER_ID',
    'KALTURA_REPORTS_URL',
    'KALTURA_CREDENTIALS_SECRET',
    ...JOB_QUEUE_ENV_KEYS,
  ]);
  const [{ readBundledConfig }, { createKalturaClient }, { createS3BlobStore }, { createSqsJobQueue }, { createSqsDeadLetterSink }] = await Promise.all([
    import('../config/bundled-config.js'),
    import('../kaltura/kaltura-client.js'),
    import('../storage/s3-blob-store.js'),
    import('../queues/sqs-job-queue.js'),
    import('../queues/sqs-dead-letter-sink.js'),
  ]);
  const [config, credentials] = await Promise.all([readBundledConfig(env.REPORTING_CONFIG_PATH), readKalturaCredentials(env.KALTURA_CREDENTIALS_SECRET)]);
  const api = createKalturaClient(kalturaOptionsFromLambdaEnv(env, credentials, logger));
  const blobStore = createS3BlobStore({ bucket: env.BUCKET_NAME });
  const deps = { api, blobStore, prefix: config.output.prefix };
  let handler: JobHandler;
  if (kind === 'export') {
    const { createExportJobHandler } = await import('./run-export.js');
    handler = createExportJobHandler({ ...deps, kmcUrl: config.kaltura.kmcUrl, notify: lazySummaryNotifier(config, api, logger) });
  } else {
    const { createMicroserviceJobHandler } = await import('./run-microservice-job.js');
    handler = createMicroserviceJobHandler(deps);
  }
  const queue = createSqsJobQueue({ queueUrls: urlsByKind(env, QUEUE_URL_ENV) });
  const deadLetters = createSqsDeadLetterSink({ dlqUrls: urlsByKind(env, DLQ_URL_ENV) });
  // One export at a time per invocation: each streams through memory-bounded buffers (S3 parts).
  return { run: (records) => processJobBatch(records, { kind, handler, queue, deadLetters, logger, maxAttempts: MAX_RECEIVE_COUNT[kind], concurrency: kind === 'export' ? 1 : 4 }) };
}

/**
 * Summary headlines from the export worker: the alert engine's destinations (Slack, Teams, e-mail,
 * webhook, SNS; secrets through Secrets Manager), loaded on the first summary that
 * names destinations, so plain exports never load the alerting code. A summary is one message per
 * run, without alert state, so the engine gets a state store that refuses to be used.
 */
function lazySummaryNotifier(config: ReportingConfig, api: KalturaApi, logger: Logger): SummaryNotifier {
  let engine: Promise<AlertEngine> | undefined;
  return createSummaryNotifier(() => {
    // A failed load is not kept: the next summary tries again.
    engine ??= import('../alerts/create-alert-engine.js')
      .then(({ createAlertEngine }) => createAlertEngine({ config, api, logger, stateStore: NO_ALERT_STATE }))
      .catch((error: unknown) => {
        engine = undefined;
        throw error;
      });
    return engine;
  }, logger);
}

/** The export worker keeps no alert state (summaries are sent once per run): any use is a bug, said loudly. */
const NO_ALERT_STATE: StateStore = {
  get: () => Promise.reject(new Error('the export worker has no alert state store; summaries are sent without state')),
  put: () => Promise.reject(new Error('the export worker has no alert state store; summaries are sent without state')),
};

/** The Lambda handler of the export or microservice worker: an SQS event in, partial batch failures out. */
export function createExportWorkerLambda(kind: WorkerKind): (event: { Records?: ReadonlyArray<QueueRecord> }) => Promise<BatchResponse> {
  const logger = createLogger({ service: `${kind}-worker` });
  return lazyWorkerLambda(logger, () => start(kind, logger));
}
