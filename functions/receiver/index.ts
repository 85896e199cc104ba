/**
 * Receiver Lambda (API Gateway HTTP API, payload format 2.0): Kaltura webhook -> verified,
 * deduplicated, archived -> jobs on SQS. Thin: the work is in shared/webhook/.
 */
import { createLambdaReceiver, requestFromEvent, resultFromResponse, type HttpApiEvent, type HttpApiResult } from '../../shared/webhook/lambda-receiver.js';
import type { Receiver } from '../../shared/webhook/receiver.js';

let receiver: Promise<Receiver> | undefined;

export async function handler(event: HttpApiEvent): Promise<HttpApiResult> {
  receiver ??= createLambdaReceiver().catch((error: unknown) => {
    receiver = undefined; // a misconfiguration is logged and retried on the next request
    throw error;
  });
  let ready: Receiver;
  try {
    ready = await receiver;
  } catch (error) {
    // Misconfigured deployment: say so in the logs; 503 so Kaltura retries once it is fixed.
    console.error(JSON.stringify({ level: 'error', service: 'receiver', message: 'Receiver cannot start', error: error instanceof Error ? { name: error.name, message: error.message } : String(error) }));
    return { statusCode: 503, headers: { 'content-type': 'application/json' }, body: '{"error":"unavailable"}', isBase64Encoded: false };
  }
  return resultFromResponse(await ready.handle(requestFromEvent(event)));
}
