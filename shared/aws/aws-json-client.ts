/**
 * A tiny client for AWS's JSON protocols (`application/x-amz-json-1.0` / `1.1`): a POST to the
 * service endpoint with `X-Amz-Target: <prefix>.<Operation>` and the operation's input as JSON.
 * SQS (`AmazonSQS`, JSON 1.0), DynamoDB (`DynamoDB_20120810`, 1.0) and Secrets Manager
 * (`secretsmanager`, 1.1) all speak it. Errors carry the short code from `__type`.
 */
import { sendAws, endpointFor, regionFromEnv, type AwsHttpOptions, type AwsHttpResponse } from './aws-http.js';

export interface AwsJsonClientOptions extends AwsHttpOptions {
  readonly targetPrefix: string;
  readonly jsonVersion: '1.0' | '1.1';
  /** Override the endpoint (tests, LocalStack); default from AWS_ENDPOINT_URL_* or the public one. */
  readonly endpoint?: string;
}

export interface AwsJsonClient {
  call<T = Record<string, unknown>>(operation: string, input: Record<string, unknown>): Promise<T>;
}

export function parseJsonError(res: AwsHttpResponse): { code: string; message: string; details: Record<string, unknown> } {
  let details: Record<string, unknown> = {};
  try {
    details = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    // not JSON (a proxy's HTML page...)
  }
  const rawType = String(details.__type ?? details.code ?? res.headers['x-amzn-errortype'] ?? `HTTP${res.status}`);
  const code = rawType.split('#').pop()!.split(':')[0]!;
  const message = String(details.message ?? details.Message ?? '');
  return { code, message, details };
}

export function createAwsJsonClient(options: AwsJsonClientOptions): AwsJsonClient {
  const region = options.region ?? regionFromEnv();
  const endpoint = new URL(options.endpoint ?? endpointFor(options.service, region));
  const contentType = `application/x-amz-json-${options.jsonVersion}`;
  return {
    async call<T>(operation: string, input: Record<string, unknown>): Promise<T> {
      const res = await sendAws(
        { ...options, region },
        { method: 'POST', url: endpoint, operation, body: JSON.stringify(input), headers: { 'content-type': contentType, 'x-amz-target': `${options.targetPrefix}.${operation}` } },
        parseJsonError,
      );
      const text = res.body.toString('utf8');
      return (text ? JSON.parse(text) : {}) as T;
    },
  };
}
