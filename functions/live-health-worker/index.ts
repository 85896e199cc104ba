/**
 * Live-health worker Lambda: SQS batches of `live-health` jobs. Each invocation polls a live stream
 * once (health beacons, viewers), alerts, and re-enqueues the job with an SQS delay for the next
 * poll — it never sleeps. The watch ends when the stream ends or after `maxDuration`.
 */
import { createAlertWorkerLambda } from '../../shared/alerts/lambda-alert-worker.js';

export const handler = createAlertWorkerLambda('live-health');
