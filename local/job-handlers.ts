/**
 * The job handlers of the four workers, built over local adapters (or S3 when BUCKET_NAME is set).
 * They are the same handler factories the worker Lambdas call; only the adapters differ:
 * alert state in DATA_DIR/state, the `local` destination in DATA_DIR/alerts.jsonl, operator
 * problems (a destination that fails permanently) in DATA_DIR/operator.jsonl.
 */
import { join } from 'node:path';
import type { ReportingConfig } from '../shared/config/schema.js';
import type { JobKind } from '../shared/jobs/job-message.js';
import type { KalturaApi } from '../shared/kaltura/kaltura-api.js';
import type { Logger } from '../shared/logging/logger.js';
import type { BlobStore } from '../shared/ports/blob-store.js';
import type { JobHandler } from '../shared/queues/job-batch-processor.js';
import { createExportJobHandler } from '../shared/exports/run-export.js';
import { createMicroserviceJobHandler } from '../shared/exports/run-microservice-job.js';
import { createAlertEngine, createCheckJobHandler, createLiveHealthJobHandler } from '../shared/alerts/create-alert-engine.js';
import { createFileStateStore } from '../shared/state/file-state-store.js';
import { resolveSecret } from '../shared/secrets/resolve-secret.js';
import type { AlertEngine } from '../shared/alerts/create-alert-engine.js';
import { createSummaryNotifier } from '../shared/exports/summary-notifier.js';

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
  /** Kinds whose handler could not be built, with why (their jobs wait in their queue). */
  readonly missing: Partial<Record<JobKind, string>>;
}

export function alertsFile(dataDir: string): string {
  return join(dataDir, 'alerts.jsonl');
}

export async function buildJobHandlers(deps: HandlerDeps): Promise<BuiltHandlers> {
  const prefix = deps.config.output.prefix;
  const stateStore = createFileStateStore({ directory: join(deps.dataDir, 'state') });
  const alertDeps = { config: deps.config, stateStore, logger: deps.logger, dataDir: deps.dataDir, localAlertsPath: alertsFile(deps.dataDir), api: deps.api,
    // On a developer's machine `{ secret }` references resolve through the AWS SDK's full credential
    // chain (profiles, SSO), which the Lambdas' small Secrets Manager client does not need.
    resolveSecret: (ref: Parameters<typeof resolveSecret>[0]) => resolveSecret(ref, { env: deps.env }) };
  const engine = createAlertEngine(alertDeps);
  return {
    handlers: {
      export: createExportJobHandler({ api: deps.api, blobStore: deps.blobStore, prefix, notify: createSummaryNotifier(() => engine, deps.logger), kmcUrl: deps.config.kaltura.kmcUrl, logger: deps.logger }),
      microservice: createMicroserviceJobHandler({ api: deps.api, blobStore: deps.blobStore, prefix }),
      check: createCheckJobHandler({ ...alertDeps, engine }),
      'live-health': createLiveHealthJobHandler({ ...alertDeps, engine }),
    },
    missing: {},
  };
}
