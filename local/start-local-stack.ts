/**
 * `kreports start` / `npm start`: the whole pipeline on one machine (SPEC §3).
 *
 *   receiver (same Receiver.handle as the Lambda) on PORT  -> persisted local queues (DATA_DIR/queues)
 *   local scheduler (cron + timezone)                       -> same queues
 *   workers: processJobBatch + the Lambdas' job handlers    -> DATA_DIR/bucket, DATA_DIR/alerts.jsonl
 *   Kaltura: KALTURA_SERVICE_URL, or the built-in simulator when unset
 *
 * Only the adapters differ from AWS: file blob store instead of S3 (S3 when BUCKET_NAME is set),
 * file idempotency and state stores instead of DynamoDB, the local queue instead of SQS, the local
 * dead-letter directory instead of the DLQs.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JOB_KINDS, type JobKind } from '../shared/jobs/job-message.js';
import type { Logger } from '../shared/logging/logger.js';
import { ValidationError } from '../shared/errors/base-error.js';
import { createLocalLogger } from './local-logger.js';
import { processJobBatch } from '../shared/queues/job-batch-processor.js';
import type { ReportingConfig } from '../shared/config/schema.js';
import { LocalJobQueue, type BatchConsumer } from './local-job-queue.js';
import { LocalDeadLetterSink } from './local-dead-letter-sink.js';
import { buildJobHandlers } from './job-handlers.js';
import { startLocalScheduler, type LocalScheduler } from './local-scheduler.js';
import { connectKaltura, dataDirOf, displayPath, loadConfiguration, localStackInfoPath, openBlobStore, readLocalStackInfo, type KalturaConnection, type LocalStackInfo } from '../cli/runtime.js';

export interface LocalStackOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Where the banner goes (stdout). Logs go to `logger` (stderr by default). */
  readonly out: (line: string) => void;
  readonly logger?: Logger;
}

export interface LocalStack {
  readonly webhookUrl: string;
  readonly healthUrl: string;
  readonly partnerId: number;
  readonly dataDir: string;
  readonly queue: LocalJobQueue;
  /** Stops taking work, waits up to `graceMs` for running jobs (unfinished ones resume at the next start). */
  stop(graceMs?: number): Promise<void>;
}

export class LocalStackBusyError extends Error {
  constructor(dataDir: string, pid: number) {
    super(`Another "kreports start" (pid ${pid}) is using ${dataDir}. Stop it first, or set DATA_DIR to another directory.`);
    this.name = 'LocalStackBusyError';
  }
}

function portFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.PORT;
  if (raw === undefined || raw === '') return 3000;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ValidationError(`PORT must be a port number 0-65535 (got "${raw}").`); // a configuration error: exit 2
  return port;
}

/** VISIBILITY_TIMEOUT_SECONDS: one visibility timeout for every queue (tests and demos of redelivery). */
function visibilityFrom(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.VISIBILITY_TIMEOUT_SECONDS;
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 43_200) throw new ValidationError(`VISIBILITY_TIMEOUT_SECONDS must be a whole number of seconds 1-43200 (got "${raw}").`);
  return seconds;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { env, cwd } = options;
  const logger = options.logger ?? createLocalLogger(env);
  const dataDir = dataDirOf(env, cwd);
  const port = portFrom(env);
  const { config, path: configFile } = await loadConfiguration(env, cwd);

  await mkdir(dataDir, { recursive: true });
  const running = readLocalStackInfo(dataDir);
  if (running && running.pid !== process.pid) throw new LocalStackBusyError(dataDir, running.pid);

  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        logger.warn('error while stopping', { error });
      }
    }
  };

  try {
    const kaltura: KalturaConnection = await connectKaltura(env, logger);
    cleanups.push(() => kaltura.close());
    const { store: blobStore, where: bucketWhere } = await openBlobStore(env, dataDir);
    const deadLetters = new LocalDeadLetterSink(dataDir);
    const visibility = visibilityFrom(env);
    const queue = new LocalJobQueue({ dataDir, deadLetters, logger, ...(visibility ? { settings: Object.fromEntries(JOB_KINDS.map((k) => [k, { visibilityTimeoutSeconds: visibility }])) } : {}) });

    const built = await buildJobHandlers({ config, api: kaltura.api, blobStore, dataDir, logger, env });
    const consumers: Partial<Record<JobKind, BatchConsumer>> = {};
    for (const kind of JOB_KINDS) {
      const handler = built.handlers[kind];
      if (!handler) continue;
      consumers[kind] = (records) => processJobBatch(records, { kind, handler, queue, deadLetters, logger: logger.child({ worker: kind }), maxAttempts: queue.settingsFor(kind).maxReceiveCount });
    }
    for (const [kind, why] of Object.entries(built.missing)) logger.warn('no worker for this job kind; its jobs wait in their queue', { kind, why });

    const { createFileIdempotencyStore } = await import('../shared/idempotency/file-idempotency-store.js');
    const { createReceiver } = await import('../shared/webhook/receiver.js');
    const { startReceiverServer } = await import('../shared/webhook/receiver-http-server.js');
    const receiver = createReceiver({
      config,
      partnerId: kaltura.api.partnerId,
      secrets: kaltura.webhookSecrets,
      queue,
      archive: blobStore,
      idempotency: createFileIdempotencyStore({ directory: join(dataDir, 'idempotency') }),
      deadLetters,
      logger: logger.child({ component: 'receiver' }),
    });

    await queue.start(consumers);
    cleanups.push(async () => {
      const still = await queue.stop(Number(env.STOP_GRACE_MS ?? 10_000));
      if (still > 0) logger.warn('stopped with jobs still running; they run again at the next start', { running: still });
    });

    const scheduler: LocalScheduler = await startLocalScheduler({ config, queue, partnerId: kaltura.api.partnerId, dataDir, logger: logger.child({ component: 'scheduler' }) });
    cleanups.push(() => scheduler.stop());

    const server = await startReceiverServer({
      host: env.HOST || '127.0.0.1',
      port,
      receiver,
      health: () => ({ partnerId: kaltura.api.partnerId, simulator: Boolean(kaltura.simulator), queues: queue.counts(), schedules: scheduler.next(), workers: Object.keys(consumers) }),
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') throw new Error(`Port ${port} is already in use: stop what listens there, or set PORT to another port (PORT=0 picks a free one).`, { cause: error });
      throw error;
    });
    cleanups.push(() => server.close());

    const info: LocalStackInfo = { pid: process.pid, webhookUrl: server.webhookUrl, healthUrl: `${server.url}/healthz`, partnerId: kaltura.api.partnerId, startedAt: new Date().toISOString() };
    await writeFile(localStackInfoPath(dataDir), JSON.stringify(info, null, 2) + '\n');
    cleanups.push(() => rm(localStackInfoPath(dataDir), { force: true }));

    printBanner(options.out, { info, kaltura, config, configFile: displayPath(configFile, cwd), dataDir: displayPath(dataDir, cwd), bucketWhere: displayPath(bucketWhere, cwd), env, port: server.port, scheduler });

    return {
      webhookUrl: server.webhookUrl,
      healthUrl: info.healthUrl,
      partnerId: kaltura.api.partnerId,
      dataDir,
      queue,
      stop: async () => cleanup(),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function printBanner(
  out: (line: string) => void,
  p: { info: LocalStackInfo; kaltura: KalturaConnection; config: ReportingConfig; configFile: string; dataDir: string; bucketWhere: string; env: NodeJS.ProcessEnv; port: number; scheduler: LocalScheduler },
): void {
  const kalturaLine = p.kaltura.simulator
    ? `built-in simulator at ${p.kaltura.simulator.serviceUrl}, partner id ${p.kaltura.simulator.partnerId}`
    : `${p.kaltura.serviceUrl}, partner id ${p.info.partnerId}`;
  const portPrefix = p.env.PORT === String(p.port) || (!p.env.PORT && p.port === 3000) ? '' : `PORT=${p.port} `;
  const nextRuns = Object.entries(p.scheduler.next()).map(([name, at]) => `${name} at ${at}`).join(', ');
  // One write: a supervisor or test reading the pipe sees the whole banner or none of it.
  out(
    [
      `kreports local stack ready`,
      `  Webhook URL:  ${p.info.webhookUrl}   (health: ${p.info.healthUrl})`,
      `  Kaltura:      ${kalturaLine}`,
      `  Config:       ${p.configFile} (${p.config.rules.length} rules, ${p.config.schedules.length} schedules)${nextRuns ? `; next: ${nextRuns}` : ''}`,
      `  Files:        ${p.bucketWhere}   Alerts: ${p.dataDir}/alerts.jsonl   Dead letters: ${p.dataDir}/dead-letters/`,
      `  Try:          ${portPrefix}npx kreports send-test-webhook --entry 1_demo   (quiet / unhealthy / big ids: see docs/local.md)`,
      `  Stop with Ctrl-C.`,
    ].join('\n'),
  );
}
