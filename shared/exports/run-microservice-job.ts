/**
 * Reports Microservice jobs (seed §10, WIRE_FACTS §7): generate, then poll `serve` with
 * `statusOnly`, then download the CSV to the blob store with a manifest — without ever sleeping in
 * a worker. Each invocation does one step and, while the remote job runs, hands the message back
 * to the queue with an SQS delay and its progress (`{polls, startedAt, sessionId}`):
 *
 *   invocation 1: generate -> sessionId; come back in `pollInterval` (default 60 s)
 *   invocation n: status?  completed -> download, store, manifest: done
 *                          failed    -> permanent error with the microservice's reason (dead letter)
 *                          pending   -> come back later: pollInterval x 2^(n-1), at most 900 s (the
 *                                       SQS maximum), never past the `maxWait` deadline (default 2h);
 *                                       at the deadline, a permanent "did not finish" error.
 *
 * A 30-minute job at the default 60 s interval costs 6 invocations (bench/exports.bench.ts counts it).
 */
import type { BlobStore } from '../ports/blob-store.js';
import type { KalturaApi } from '../kaltura/kaltura-api.js';
import type { JobMessage } from '../jobs/job-message.js';
import type { MicroserviceJob } from '../config/schema.js';
import { PermanentJobError, MAX_DELAY_SECONDS, type JobHandler, type Reschedule } from '../queues/job-batch-processor.js';
import { ReportingError } from '../errors/base-error.js';
import { stripKs } from '../kaltura/errors.js';
import { guardCsvStream, newDownloadShape, newProgress, passThroughCsv } from './csv-writer.js';
import { buildManifest, CSV_CONTENT_TYPE, MANIFEST_CONTENT_TYPE, type ExportManifest } from './manifest.js';
import { outputKeys } from './output-keys.js';
import { durationSeconds } from './durations.js';

export const DEFAULT_POLL_INTERVAL = '60s';
export const DEFAULT_MAX_WAIT = '2h';

export interface MicroserviceDeps {
  readonly api: KalturaApi;
  readonly blobStore: BlobStore;
  readonly prefix: string;
  readonly now?: () => Date;
}

/** The remote job said `failed`. Permanent; the message is the microservice's reason. */
export class MicroserviceJobFailedError extends ReportingError {
  readonly retryable = false;
  constructor(readonly reason: string, reportName: string) {
    super(`Reports Microservice job ${reportName} failed: ${stripKs(reason)}. Check the report name, its parameters and the KS privileges (virtualeventid:<id>), then replay.`);
  }
}

/** The remote job did not finish within `maxWait`. Permanent. */
export class MicroserviceJobTimeoutError extends ReportingError {
  readonly retryable = false;
  constructor(reportName: string, waitedSeconds: number, polls: number, lastStatus: string) {
    super(`Reports Microservice job ${reportName} did not finish within maxWait (waited ${Math.round(waitedSeconds / 60)} min over ${polls} status polls, last status "${lastStatus}"). Raise maxWait or check the job in Kaltura, then replay.`);
  }
}

interface MicroserviceProgress {
  readonly [field: string]: unknown;
  readonly polls: number;
  readonly startedAt: string;
  readonly sessionId: string;
}

type MicroserviceMessage = JobMessage & { spec: MicroserviceJob };

/** Delay before status poll number `poll` (1-based): interval x 2^(poll-1), capped at 900 s. */
export function pollDelaySeconds(pollIntervalSeconds: number, poll: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.round(pollIntervalSeconds * 2 ** Math.max(0, poll - 1))));
}

/**
 * How many worker invocations a remote job of `jobSeconds` costs (generate + status polls, the last
 * of which downloads), with the backoff above. For the benchmark and the docs.
 */
export function invocationsFor(jobSeconds: number, pollIntervalSeconds = durationSeconds(DEFAULT_POLL_INTERVAL), maxWaitSeconds = durationSeconds(DEFAULT_MAX_WAIT)): number {
  let elapsed = 0;
  let invocations = 1; // generate
  for (let poll = 1; ; poll++) {
    elapsed += Math.min(pollDelaySeconds(pollIntervalSeconds, poll), Math.max(1, maxWaitSeconds - elapsed));
    invocations++;
    if (elapsed >= jobSeconds || elapsed >= maxWaitSeconds) return invocations;
  }
}

function readProgress(message: JobMessage): MicroserviceProgress | undefined {
  const p = message.progress as (Record<string, unknown> & { polls: number; startedAt: string }) | undefined;
  if (!p) return undefined;
  if (typeof p.sessionId !== 'string' || p.sessionId === '') throw new PermanentJobError('Microservice job message has progress but no sessionId; replay it without progress to start over.');
  return { polls: p.polls, startedAt: p.startedAt, sessionId: p.sessionId };
}

export type MicroserviceStep =
  | { readonly done: false; readonly reschedule: Reschedule; readonly status: string }
  | { readonly done: true; readonly dataKey: string; readonly manifestKey: string; readonly manifest: ExportManifest };

/** One step of the job (what one worker invocation does). */
export async function stepMicroserviceJob(deps: MicroserviceDeps, message: JobMessage): Promise<MicroserviceStep> {
  if (message.spec.kind !== 'microservice') throw new PermanentJobError(`Job ${message.rule}.${message.spec.name} is a ${message.spec.kind} job, not a microservice job: it was sent to the wrong queue.`);
  const msg = message as MicroserviceMessage;
  const spec = msg.spec;
  const now = (deps.now ?? (() => new Date()))();
  const interval = durationSeconds(spec.pollInterval ?? DEFAULT_POLL_INTERVAL);
  const maxWait = durationSeconds(spec.maxWait ?? DEFAULT_MAX_WAIT);
  const privileges = spec.privileges ?? [];
  const progress = readProgress(msg);

  if (!progress) {
    const { sessionId } = await deps.api.microserviceGenerate({ reportName: spec.reportName, reportParameters: spec.reportParameters ?? {}, privileges });
    const next: MicroserviceProgress = { polls: 0, startedAt: now.toISOString(), sessionId };
    return { done: false, status: 'generated', reschedule: { message: { ...msg, progress: next }, delaySeconds: Math.min(pollDelaySeconds(interval, 1), maxWait) } };
  }

  const status = await deps.api.microserviceStatus(progress.sessionId, { privileges });
  const polls = progress.polls + 1;
  if (status.status === 'failed') throw new MicroserviceJobFailedError(status.reason, spec.reportName);
  if (status.status !== 'completed') {
    const waited = Math.max(0, (now.getTime() - Date.parse(progress.startedAt)) / 1000);
    if (waited >= maxWait) throw new MicroserviceJobTimeoutError(spec.reportName, waited, polls, status.status);
    const delay = Math.max(1, Math.min(pollDelaySeconds(interval, polls + 1), Math.ceil(maxWait - waited)));
    return { done: false, status: status.status, reschedule: { message: { ...msg, progress: { ...progress, polls } }, delaySeconds: delay } };
  }

  const download = await deps.api.microserviceDownload(progress.sessionId, { privileges });
  const keys = outputKeys(deps.prefix, msg);
  const csvProgress = newProgress();
  const shape = newDownloadShape();
  const meta = { 'job-id': msg.jobId, rule: msg.rule, job: spec.name, subject: msg.subject.id, window: msg.window.label };
  const formulaGuard = spec.csv?.formulaGuard ?? true;
  const bytes = passThroughCsv(download.body, csvProgress, shape, { stripBom: true });
  const stored = await deps.blobStore.putStream(keys.data, formulaGuard ? guardCsvStream(bytes) : bytes, { contentType: CSV_CONTENT_TYPE, metadata: meta });
  const manifest = buildManifest({
    message: msg,
    dataKey: keys.data,
    contentType: CSV_CONTENT_TYPE,
    rows: Math.max(0, shape.lines - 1),
    lines: shape.lines,
    bytes: stored.bytes,
    sha256: stored.sha256,
    bom: false,
    formulaGuard,
    source: { type: 'microservice', reportName: spec.reportName, reportParameters: spec.reportParameters ?? {}, sessionId: progress.sessionId },
    partnerId: deps.api.partnerId,
    now: (deps.now ?? (() => new Date()))(),
  });
  await deps.blobStore.putBytes(keys.manifest, JSON.stringify(manifest, null, 2) + '\n', { contentType: MANIFEST_CONTENT_TYPE, metadata: meta });
  return { done: true, dataKey: keys.data, manifestKey: keys.manifest, manifest };
}

/** The microservice worker's job handler (Lambda and local runtime alike). */
export function createMicroserviceJobHandler(deps: MicroserviceDeps): JobHandler {
  return async (message, context) => {
    const step = await stepMicroserviceJob(deps, message);
    if (!step.done) {
      context.logger.info('microservice job pending', { status: step.status, polls: step.reschedule.message.progress?.polls, nextPollSeconds: step.reschedule.delaySeconds });
      return step.reschedule;
    }
    context.logger.info('microservice report written', { key: step.dataKey, rows: step.manifest.rows, bytes: step.manifest.bytes, sha256: step.manifest.sha256 });
    context.logger.metric('ExportRows', step.manifest.rows, { source: 'microservice' });
    return undefined;
  };
}
