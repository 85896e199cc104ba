/**
 * Check worker Lambda: SQS batches of `check` jobs. Runs each report check against Kaltura, records
 * the result, and sends alerts (firing, repeat, resolved, error, no-data) to the configured
 * destinations. Permanent failures go to the check dead-letter queue with their reason.
 */
import { createAlertWorkerLambda } from '../../shared/alerts/lambda-alert-worker.js';

export const handler = createAlertWorkerLambda('check');
