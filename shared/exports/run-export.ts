/**
 * Runs one export job: source -> CSV stream -> blob store (S3 or DATA_DIR/bucket) -> manifest.
 *
 * Order matters: the CSV is stored first (atomically: all or nothing), the manifest only after it
 * succeeded. A manifest therefore always describes a complete CSV; a failure at any point leaves
 * the previous run's files (if any) in place and the job is retried or dead-lettered.
 * Keys are deterministic (output-keys.ts), so a retry, a replay or a backfill replaces the files.
 */
import type { BlobStore } from '../ports/blob-store.js';
import type { KalturaApi } from '../kaltura/kaltura-api.js';
import type { JobMessage } from '../jobs/job-message.js';
import type { JobHandler } from '../queues/job-batch-processor.js';
import { PermanentJobError } from '../queues/job-batch-processor.js';
import type { Logger } from '../logging/logger.js';
import type { ExportSource } from '../config/schema.js';
import { openExportSource } from './export-sources.js';
import { buildManifest, CSV_CONTENT_TYPE, MANIFEST_CONTENT_TYPE, type ExportManifest } from './manifest.js';
import { outputKeys } from './output-keys.js';
import type { CsvProgress } from './csv-writer.js';
import { runSummary, type SummaryDeps, type SummaryMessage } from './summary.js';

/** What an export runs with (the summary source needs the same). */
export type ExportDeps = SummaryDeps;

export interface ExportResult {
  readonly dataKey: string;
  readonly manifestKey: string;
  readonly manifest: ExportManifest;
}

export interface ExportProgress {
  readonly rows: number;
  readonly pages: number;
  readonly bytes: number;
}

type ExportMessage = JobMessage & { spec: { kind: 'export'; source: ExportSource } };

function isExport(message: JobMessage): message is ExportMessage {
  return message.spec.kind === 'export';
}

/** S3 object metadata: small, ASCII, enough to find the job from the object. */
function objectMetadata(message: JobMessage): Record<string, string> {
  return { 'job-id': message.jobId, rule: message.rule, job: message.spec.name, subject: message.subject.id, window: message.window.label };
}

/** Runs an export job message to completion. Throws on failure (nothing new is visible then). */
export async function runExport(deps: ExportDeps, message: JobMessage, options: { onProgress?: (p: ExportProgress) => void } = {}): Promise<ExportResult> {
  if (!isExport(message)) throw new PermanentJobError(`Job ${message.rule}.${message.spec.name} is a ${message.spec.kind} job, not an export: it was sent to the wrong queue.`);
  if (message.spec.source.type === 'summary') {
    const summary = await runSummary(deps, message as SummaryMessage);
    return { dataKey: summary.dataKey, manifestKey: summary.manifestKey, manifest: summary.manifest };
  }
  const keys = outputKeys(deps.prefix, message);
  const report = options.onProgress ? (p: Readonly<CsvProgress>) => options.onProgress!({ rows: p.rows, pages: p.pages, bytes: p.bytes }) : undefined;
  const stream = await openExportSource(deps.api, message, report ? { onProgress: report } : {});
  const stored = await deps.blobStore.putStream(keys.data, stream.body, { contentType: CSV_CONTENT_TYPE, metadata: objectMetadata(message) });
  const summary = stream.summary();
  report?.(stream.progress);
  const manifest = buildManifest({
    message,
    dataKey: keys.data,
    contentType: CSV_CONTENT_TYPE,
    rows: summary.rows,
    lines: summary.lines,
    bytes: stored.bytes,
    sha256: stored.sha256,
    ...(summary.header ? { header: summary.header } : {}),
    bom: summary.bom,
    ...(summary.pages !== undefined ? { pages: summary.pages } : {}),
    formulaGuard: stream.formulaGuard,
    source: stream.source,
    partnerId: deps.api.partnerId,
    now: (deps.now ?? (() => new Date()))(),
  });
  await deps.blobStore.putBytes(keys.manifest, JSON.stringify(manifest, null, 2) + '\n', { contentType: MANIFEST_CONTENT_TYPE, metadata: objectMetadata(message) });
  return { dataKey: keys.data, manifestKey: keys.manifest, manifest };
}

/** The export worker's job handler (Lambda and local runtime alike). */
export function createExportJobHandler(deps: ExportDeps): JobHandler {
  return async (message, context) => {
    const started = Date.now();
    const result = await runExport(deps.logger ? deps : { ...deps, logger: context.logger }, message);
    context.logger.info('export written', { key: result.dataKey, rows: result.manifest.rows, bytes: result.manifest.bytes, sha256: result.manifest.sha256, ms: Date.now() - started });
    context.logger.metric('ExportRows', result.manifest.rows, { source: result.manifest.source.type });
    context.logger.metric('ExportBytes', result.manifest.bytes, { source: result.manifest.source.type }, 'Bytes');
  };
}

/**
 * For `kreports export` (helper "local"): runs an export message now, in process, reporting
 * progress (rows, pages, bytes) as it goes. Build the message with `createJobMessage` (a configured
 * rule's job) or `adHocExportMessage` (report type, window and filter from the command line).
 */
export async function runExportNow(input: ExportDeps & { message: JobMessage; onProgress?: (p: ExportProgress) => void; logger?: Logger }): Promise<ExportResult> {
  const result = await runExport(input, input.message, input.onProgress ? { onProgress: input.onProgress } : {});
  input.logger?.info('export written', { key: result.dataKey, rows: result.manifest.rows, bytes: result.manifest.bytes });
  return result;
}
