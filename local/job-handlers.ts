/**
 * The job handlers of the four workers, built over local adapters (or S3 when BUCKET_NAME is set).
 * They are the same handler factories the worker Lambdas call; only the adapters differ.
 */
import { join } from 'node:path';
import type { ReportingConfig } from '../shared/config/schema.js';
import type { JobKind } from '../shared/jobs/job-message.js';
import type { KalturaApi } from '../shared/kaltura/kaltura-api.js';
import type { Logger } from '../shared/logging/logger.js';
import type { BlobStore } from '../shared/ports/blob-store.js';
import type { StateStore } from '../shared/ports/state-store.js';
import type { JobHandler } from '../shared/queues/job-batch-processor.js';
import { createExportJobHandler } from '../shared/exports/run-export.js';

export interface HandlerDeps {
  readonly config: ReportingConfig;
  readonly api: KalturaApi;
  readonly blobStore: BlobStore;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly env: NodeJS.ProcessEnv;
}

export interface BuiltHandlers {
  readonly handlers: Partial<Record<JobKind, JobHandler>>;
  /** Kinds whose handler could not be built, with why (the jobs wait in their queue until it can). */
  readonly missing: Partial<Record<JobKind, string>>;
  readonly stateStore?: StateStore;
}

/** Loads a module that may not exist in this build; undefined when absent. */
async function optionalImport<T>(specifier: string): Promise<T | undefined> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

type Factory = (deps: Record<string, unknown>) => JobHandler;

export async function buildJobHandlers(deps: HandlerDeps): Promise<BuiltHandlers> {
  const handlers: Partial<Record<JobKind, JobHandler>> = {};
  const missing: Partial<Record<JobKind, string>> = {};

  handlers.export = createExportJobHandler({ api: deps.api, blobStore: deps.blobStore, prefix: deps.config.output.prefix });

  const microservice = await optionalImport<{ createMicroserviceJobHandler?: Factory }>(new URL('../shared/exports/run-microservice-job.js', import.meta.url).href);
  if (microservice?.createMicroserviceJobHandler) {
    handlers.microservice = microservice.createMicroserviceJobHandler({ api: deps.api, blobStore: deps.blobStore, prefix: deps.config.output.prefix });
  } else missing.microservice = 'shared/exports/run-microservice-job.ts is not available in this build';

  const { createFileStateStore } = await import('../shared/state/file-state-store.js');
  const stateStore = createFileStateStore({ directory: join(deps.dataDir, 'state') });
  const alerts = await optionalImport<{ createCheckJobHandler?: Factory; createLiveHealthJobHandler?: Factory }>(new URL('../shared/alerts/create-alert-engine.js', import.meta.url).href);
  const alertDeps = { api: deps.api, config: deps.config, stateStore, state: stateStore, dataDir: deps.dataDir, alertsFile: join(deps.dataDir, 'alerts.jsonl'), env: deps.env, logger: deps.logger };
  if (alerts?.createCheckJobHandler) handlers.check = alerts.createCheckJobHandler(alertDeps);
  else missing.check = 'shared/alerts/create-alert-engine.ts is not available in this build';
  if (alerts?.createLiveHealthJobHandler) handlers['live-health'] = alerts.createLiveHealthJobHandler(alertDeps);
  else missing['live-health'] = 'shared/alerts/create-alert-engine.ts is not available in this build';

  return { handlers, missing, stateStore };
}
