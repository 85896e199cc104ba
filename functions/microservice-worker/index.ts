/** Microservice worker Lambda: Reports Microservice jobs, polled through SQS delays, CSV to S3 (shared/exports). */
import { createExportWorkerLambda } from '../../shared/exports/lambda-export-worker.js';

export const handler = createExportWorkerLambda('microservice');
