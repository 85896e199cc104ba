/**
 * The HTTP side of the small AWS clients: credentials and region from the Lambda environment,
 * a keep-alive agent, a timeout per call, retries with jittered backoff on throttling, 5xx and
 * network errors. node:http/https are loaded on first use, not at module scope.
 */
import type { Agent as HttpAgent, IncomingHttpHeaders } from 'node:http';
import { ReportingError } from '../errors/base-error.js';
import { signRequest, type AwsCredentials } from './sigv4.js';

export class AwsServiceError extends ReportingError {
  readonly retryable: boolean;
  constructor(
    readonly service: string,
    readonly operation: string,
    readonly code: string,
    readonly statusCode: number,
    message: string,
    /** The parsed error body (e.g. DynamoDB's `Item` on a failed condition). */
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(`${service} ${operation} failed: ${code} (HTTP ${statusCode})${message ? `: ${message.replace(/\.+$/, '')}` : ''}.${retryableCode(code, statusCode) ? ' Temporary; retry.' : ' Check the permissions and resource names of the deployment.'}`, options);
    this.retryable = retryableCode(code, statusCode);
  }
}

export class AwsCredentialsError extends ReportingError {
  readonly retryable = false;
}

const RETRYABLE_CODES = new Set([
  'ThrottlingException', 'Throttling', 'ThrottledException', 'RequestThrottled', 'RequestThrottledException', 'TooManyRequestsException',
  'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'LimitExceededException', 'TransactionInProgressException',
  'InternalServerError', 'InternalFailure', 'InternalError', 'ServiceUnavailable', 'SlowDown', 'RequestTimeout', 'RequestTimeoutException',
  'KMS.ThrottlingException', 'NetworkError', 'Timeout',
]);

export function retryableCode(code: string, statusCode: number): boolean {
  return statusCode >= 500 || statusCode === 429 || statusCode === 0 || RETRYABLE_CODES.has(code);
}

export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new AwsCredentialsError('No AWS credentials in the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). Lambda sets them; elsewhere export them or use the local runtime.');
  }
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

export function regionFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

/** `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL` (as the AWS SDKs read them), else the public endpoint. */
export function endpointFor(service: string, region: string, env: NodeJS.ProcessEnv = process.env): string {
  const specific = env[`AWS_ENDPOINT_URL_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`];
  return specific ?? env.AWS_ENDPOINT_URL ?? `https://${service}.${region}.amazonaws.com`;
}

export interface AwsHttpOptions {
  /** e.g. `sqs`, `dynamodb`, `s3` (the SigV4 service name). */
  readonly service: string;
  readonly region?: string;
  readonly credentials?: () => AwsCredentials;
  /** Per attempt. Default 3000 ms: the receiver answers Kaltura within seconds. */
  readonly timeoutMs?: number;
  /** Default 3 (as the SDK's standard retry mode). */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
}

export interface AwsHttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | string;
  readonly operation: string;
  readonly s3?: boolean;
}

export interface AwsHttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

type Transport = { request: typeof import('node:http').request; agent: HttpAgent };
const transports = new Map<string, Promise<Transport>>();

function transportFor(protocol: string): Promise<Transport> {
  let t = transports.get(protocol);
  if (!t) {
    t = (protocol === 'https:' ? import('node:https') : import('node:http')).then((mod) => ({
      request: mod.request as typeof import('node:http').request,
      agent: new mod.Agent({ keepAlive: true, maxSockets: 50 }) as HttpAgent,
    }));
    transports.set(protocol, t);
  }
  return t;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function once(req: AwsHttpRequest, headers: Record<string, string>, timeoutMs: number): Promise<AwsHttpResponse> {
  const { request, agent } = await transportFor(req.url.protocol);
  return new Promise<AwsHttpResponse>((resolve, reject) => {
    const r = request(req.url, { method: req.method, headers: { ...headers, 'content-length': String(Buffer.byteLength(req.body)) }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.setTimeout(timeoutMs, () => r.destroy(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    r.on('error', reject);
    r.end(req.body);
  });
}

export type ErrorParser = (res: AwsHttpResponse) => { code: string; message: string; details: Record<string, unknown> };

/** Signs and sends, retrying retryable failures; resolves with a 2xx response or throws AwsServiceError. */
export async function sendAws(options: AwsHttpOptions, req: AwsHttpRequest, parseError: ErrorParser): Promise<AwsHttpResponse> {
  const region = options.region ?? regionFromEnv();
  const maxAttempts = options.maxAttempts ?? 3;
  const baseDelay = options.baseDelayMs ?? 50;
  let last: AwsServiceError | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const credentials = (options.credentials ?? credentialsFromEnv)();
    const signed = signRequest({ method: req.method, url: req.url, headers: req.headers, body: req.body, service: options.service, region, credentials, s3: req.s3 ?? false });
    try {
      const res = await once(req, signed.headers, options.timeoutMs ?? 3000);
      if (res.status >= 200 && res.status < 300) return res;
      const { code, message, details } = parseError(res);
      last = new AwsServiceError(options.service, req.operation, code, res.status, message, details);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'NetworkError';
      last = new AwsServiceError(options.service, req.operation, code === 'ETIMEDOUT' ? 'Timeout' : 'NetworkError', 0, code, {}, { cause });
    }
    if (!last.retryable || attempt === maxAttempts) throw last;
    await sleep(baseDelay * 2 ** (attempt - 1) * (0.5 + Math.random()));
  }
  throw last!;
}
