/** Export worker Lambda: SQS export jobs -> CSV in S3 with a manifest (shared/exports). */
import { createExportWorkerLambda } from '../../shared/exports/lambda-export-worker.js';

export const handler = createExportWorkerLambda('export');
