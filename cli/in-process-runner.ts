/**
 * Runs job messages to completion inside a CLI process (`kreports schedule run`), through the same
 * queue semantics and `processJobBatch` as the local stack and the Lambdas: an in-memory queue
 * (rescheduled polls included), permanent failures recorded in DATA_DIR/dead-letters for replay.
 */
import { JOB_KINDS, type JobKind, type JobMessage } from '../shared/jobs/job-message.js';
import type { ReportingConfig } from '../shared/config/schema.js';
import type { KalturaApi } from '../shared/kaltura/kaltura-api.js';
import type { BlobStore } from '../shared/ports/blob-store.js';
import type { DeadLetter, DeadLetterSink } from '../shared/ports/dead-letter-sink.js';
import type { Logger } from '../shared/logging/logger.js';
import { createCommandLogger } from '../local/local-logger.js';
import { processJobBatch } from '../shared/queues/job-batch-processor.js';
import { LocalJobQueue, type BatchConsumer } from '../local/local-job-queue.js';
import { LocalDeadLetterSink } from '../local/local-dead-letter-sink.js';
import { buildJobHandlers } from '../local/job-handlers.js';
import { WorkFailedError } from './errors.js';

export interface InProcessRun {
  /** Dead letters recorded during the run, with their ids under DATA_DIR/dead-letters. */
  readonly failures: ReadonlyArray<DeadLetter & { id: string }>;
}

export async function runJobsInProcess(input: {
  config: ReportingConfig;
  api: KalturaApi;
  blobStore: BlobStore;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Sends the first messages (e.g. runSchedule). */
  enqueue: (queue: LocalJobQueue) => Promise<ReadonlyArray<JobMessage>>;
  timeoutMs?: number;
}): Promise<InProcessRun> {
  const logger = input.logger ?? createCommandLogger(input.env);
  const sink = new LocalDeadLetterSink(input.dataDir);
  const failures: Array<DeadLetter & { id: string }> = [];
  const deadLetters: DeadLetterSink = {
    async send(letter) {
      const id = await sink.sendWithId(letter);
      failures.push({ ...letter, id });
    },
  };
  const fast = { visibilityTimeoutSeconds: 2 };
  const queue = new LocalJobQueue({ deadLetters, logger, pollIntervalMs: 20, settings: { check: fast, export: fast, microservice: fast, 'live-health': fast } });
  const built = await buildJobHandlers({ config: input.config, api: input.api, blobStore: input.blobStore, dataDir: input.dataDir, logger, env: input.env });
  const consumers: Partial<Record<JobKind, BatchConsumer>> = {};
  for (const kind of JOB_KINDS) {
    const handler = built.handlers[kind];
    if (handler) consumers[kind] = (records) => processJobBatch(records, { kind, handler, queue, deadLetters, logger, maxAttempts: queue.settingsFor(kind).maxReceiveCount });
  }
  await queue.start(consumers);
  try {
    const sent = await input.enqueue(queue);
    const unsupported = [...new Set(sent.map((m) => m.spec.kind))].filter((k) => !consumers[k]);
    if (unsupported.length > 0) throw new WorkFailedError(`no worker for ${unsupported.join(', ')} jobs in this build (${unsupported.map((k) => built.missing[k]).join('; ')})`);
    await queue.waitUntilIdle(input.timeoutMs ?? 3_600_000);
  } finally {
    await queue.stop(1000);
  }
  return { failures };
}
