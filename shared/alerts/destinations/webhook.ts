/**
 * A generic webhook: the alert as JSON, signed with HMAC-SHA256 so the receiver can check it came
 * from us and is fresh.
 *
 *   X-Reporting-Timestamp: <unix seconds>
 *   X-Reporting-Signature: sha256=<hex HMAC-SHA256(signingSecret, "<timestamp>.<raw body>")>
 *   X-Reporting-Alert-Id:  <alert id, stable across retries of the same notification>
 *
 * The receiver recomputes the HMAC over the exact bytes, compares in constant time and rejects
 * timestamps older than a few minutes. 2xx is success; 408/429/5xx retryable; other 4xx permanent.
 */
import { createHmac } from 'node:crypto';
import type { AlertMessage } from '../alert-message.js';
import { postBody, realSleep, statusError, withRetryAfter, type AlertDestination, type Sleep } from './destination.js';

export const SIGNATURE_HEADER = 'x-reporting-signature';
export const TIMESTAMP_HEADER = 'x-reporting-timestamp';

export function signWebhookBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function webhookBody(message: AlertMessage): string {
  return JSON.stringify({ type: 'kaltura-reporting.alert', version: 1, alert: message });
}

export interface WebhookDestinationOptions {
  readonly name: string;
  readonly url: () => Promise<string>;
  readonly signingSecret: () => Promise<string>;
  readonly timeoutMs?: number;
  readonly now?: () => number;
  readonly sleep?: Sleep;
}

export function createWebhookDestination(options: WebhookDestinationOptions): AlertDestination {
  const now = options.now ?? Date.now;
  return {
    name: options.name,
    type: 'webhook',
    async send(message) {
      const [url, secret] = await Promise.all([options.url(), options.signingSecret()]);
      const body = webhookBody(message);
      await withRetryAfter(
        async () => {
          const timestamp = Math.floor(now() / 1000);
          const result = await postBody(options.name, url, body, {
            headers: { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signWebhookBody(secret, timestamp, body), 'x-reporting-alert-id': message.id },
            ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
          });
          if (result.status >= 200 && result.status < 300) return;
          throw statusError(options.name, result, 'The webhook');
        },
        { maxInlineWaitSeconds: 5, maxInlineRetries: 2, sleep: options.sleep ?? realSleep },
      );
    },
  };
}
