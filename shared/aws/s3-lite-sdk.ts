/**
 * The six S3 operations the export blob store (shared/storage/s3-blob-store.ts) uses, shaped like
 * `@aws-sdk/client-s3` — `new S3Client(config).send(new PutObjectCommand(input))`, errors named by
 * their S3 code with `$metadata.httpStatusCode` — but on the small signed HTTP client of this
 * folder (sigv4.ts + aws-http.ts) instead of the SDK.
 *
 * Why: any `@aws-sdk/*` client in a bundle brings the SDK core (~0.7 MB minified). Even loaded
 * lazily it is compiled at module init, and esbuild hoists its ESM imports of Node built-ins to the
 * top of the bundle (`node:http`'s ESM facade alone loads Node's internal undici, ~25 ms). That is
 * what keeps the export and microservice workers above 3x an empty handler (bench/bundles.bench.ts).
 * Swapping `import('./s3-sdk.js')` for this module (and `resolveSecret` for
 * `cachedSecretString`) removes the SDK from those bundles.
 *
 * Differences from the SDK: credentials come from the environment only (as Lambda sets them) or
 * `config.credentials`; no checksums beyond the SigV4 payload hash (`x-amz-content-sha256`, which S3
 * verifies); retries (3 attempts, jittered) on throttling, 5xx and network errors, as the SDK's
 * standard mode. Errors deliberately carry no `retryable` property, like the SDK's.
 */
import { AwsServiceError, regionFromEnv, sendAws, type AwsHttpOptions, type AwsHttpResponse } from './aws-http.js';
import type { AwsCredentials } from './sigv4.js';
import { uriEncode } from './sigv4.js';

export interface S3ClientConfig {
  readonly region?: string;
  /** e.g. `http://127.0.0.1:4569` (tests); default `AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL`, else AWS. */
  readonly endpoint?: string;
  /** Path-style addressing (always used with an explicit endpoint). */
  readonly forcePathStyle?: boolean;
  readonly credentials?: AwsCredentials;
  /** Per attempt; default 120 s (a 5 MiB part on a slow link). */
  readonly timeoutMs?: number;
  /** Default 3. */
  readonly maxAttempts?: number;
}

/** An S3 error as the SDK shapes it: `name` is the S3 code (`NoSuchKey`, `AccessDenied`, ...). */
export class S3ServiceException extends Error {
  readonly $metadata: { httpStatusCode?: number };
  constructor(code: string, message: string, httpStatusCode: number | undefined, options?: { cause?: unknown }) {
    super(message || code, options);
    this.name = code;
    this.$metadata = httpStatusCode ? { httpStatusCode } : {};
  }
}

interface LiteRequest {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  readonly bucket: string;
  readonly key: string;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array | string;
  readonly operation: string;
}

abstract class Command<Input, Output> {
  constructor(readonly input: Input) {}
  abstract request(): LiteRequest;
  abstract parse(res: AwsHttpResponse): Output;
}

interface ObjectInput {
  readonly Bucket: string;
  readonly Key: string;
}
interface WriteInput extends ObjectInput {
  readonly ContentType?: string;
  readonly Metadata?: Record<string, string>;
}

function writeHeaders(input: WriteInput): Record<string, string> {
  const headers: Record<string, string> = {};
  if (input.ContentType) headers['content-type'] = input.ContentType;
  for (const [k, v] of Object.entries(input.Metadata ?? {})) headers[`x-amz-meta-${k.toLowerCase()}`] = v;
  return headers;
}

const tag = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
const xmlEscape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** `UploadId` is optional in the SDK's input types; S3 needs it. */
function uploadIdOf(input: { UploadId: string | undefined }): string {
  if (!input.UploadId) throw new S3ServiceException('MissingUploadId', 'A multipart operation needs the UploadId of CreateMultipartUpload.', undefined);
  return input.UploadId;
}
const etagOf = (res: AwsHttpResponse): string | undefined => {
  const value = res.headers.etag;
  return Array.isArray(value) ? value[0] : value;
};

export class PutObjectCommand extends Command<WriteInput & { Body: Uint8Array | string; ContentLength?: number }, { ETag?: string }> {
  request(): LiteRequest {
    return { method: 'PUT', bucket: this.input.Bucket, key: this.input.Key, headers: writeHeaders(this.input), body: this.input.Body, operation: 'PutObject' };
  }
  parse(res: AwsHttpResponse) {
    const ETag = etagOf(res);
    return ETag ? { ETag } : {};
  }
}

export class GetObjectCommand extends Command<ObjectInput, { Body: { transformToByteArray(): Promise<Uint8Array> } }> {
  request(): LiteRequest {
    return { method: 'GET', bucket: this.input.Bucket, key: this.input.Key, operation: 'GetObject' };
  }
  parse(res: AwsHttpResponse) {
    const bytes = new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.byteLength);
    return { Body: { transformToByteArray: async () => bytes } };
  }
}

export class CreateMultipartUploadCommand extends Command<WriteInput, { UploadId?: string }> {
  request(): LiteRequest {
    return { method: 'POST', bucket: this.input.Bucket, key: this.input.Key, query: { uploads: '' }, headers: writeHeaders(this.input), operation: 'CreateMultipartUpload' };
  }
  parse(res: AwsHttpResponse) {
    const UploadId = tag(res.body.toString('utf8'), 'UploadId');
    return UploadId ? { UploadId } : {};
  }
}

export class UploadPartCommand extends Command<ObjectInput & { UploadId: string | undefined; PartNumber: number; Body: Uint8Array; ContentLength?: number }, { ETag?: string }> {
  request(): LiteRequest {
    return { method: 'PUT', bucket: this.input.Bucket, key: this.input.Key, query: { partNumber: String(this.input.PartNumber), uploadId: uploadIdOf(this.input) }, body: this.input.Body, operation: 'UploadPart' };
  }
  parse(res: AwsHttpResponse) {
    const ETag = etagOf(res);
    return ETag ? { ETag } : {};
  }
}

export class CompleteMultipartUploadCommand extends Command<ObjectInput & { UploadId: string | undefined; MultipartUpload: { Parts: ReadonlyArray<{ PartNumber: number; ETag: string }> } }, { ETag?: string }> {
  request(): LiteRequest {
    const parts = this.input.MultipartUpload.Parts.map((p) => `<Part><PartNumber>${p.PartNumber}</PartNumber><ETag>${xmlEscape(p.ETag)}</ETag></Part>`).join('');
    return {
      method: 'POST',
      bucket: this.input.Bucket,
      key: this.input.Key,
      query: { uploadId: uploadIdOf(this.input) },
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts}</CompleteMultipartUpload>`,
      operation: 'CompleteMultipartUpload',
    };
  }
  parse(res: AwsHttpResponse) {
    const text = res.body.toString('utf8');
    // S3 may answer 200 and report the failure in the body (documented for CompleteMultipartUpload).
    if (/<Error>/.test(text)) throw new S3ServiceException(tag(text, 'Code') ?? 'InternalError', tag(text, 'Message') ?? '', 500);
    const ETag = tag(text, 'ETag')?.replace(/&quot;/g, '"');
    return ETag ? { ETag } : {};
  }
}

export class AbortMultipartUploadCommand extends Command<ObjectInput & { UploadId: string | undefined }, Record<string, never>> {
  request(): LiteRequest {
    return { method: 'DELETE', bucket: this.input.Bucket, key: this.input.Key, query: { uploadId: uploadIdOf(this.input) }, operation: 'AbortMultipartUpload' };
  }
  parse() {
    return {};
  }
}

function parseXmlError(res: AwsHttpResponse): { code: string; message: string; details: Record<string, unknown> } {
  const text = res.body.toString('utf8');
  const fallback = res.status === 404 ? 'NotFound' : res.status === 403 ? 'AccessDenied' : `HTTP${res.status}`;
  return { code: tag(text, 'Code') ?? fallback, message: tag(text, 'Message') ?? '', details: {} };
}

export class S3Client {
  private readonly http: AwsHttpOptions;
  private readonly region: string;
  private readonly endpoint: string | undefined;

  constructor(private readonly config: S3ClientConfig = {}) {
    this.region = config.region ?? regionFromEnv();
    this.endpoint = config.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    const credentials = config.credentials;
    this.http = {
      service: 's3',
      region: this.region,
      timeoutMs: config.timeoutMs ?? 120_000,
      maxAttempts: config.maxAttempts ?? 3,
      ...(credentials ? { credentials: () => credentials } : {}),
    };
  }

  private url(bucket: string, key: string, query: Record<string, string> | undefined): URL {
    const path = key.split('/').map(uriEncode).join('/');
    const pathStyle = this.endpoint !== undefined || this.config.forcePathStyle === true || bucket.includes('.');
    const base = this.endpoint?.replace(/\/$/, '') ?? `https://s3.${this.region}.amazonaws.com`;
    const url = pathStyle ? new URL(`${base}/${uriEncode(bucket)}/${path}`) : new URL(`https://${bucket}.s3.${this.region}.amazonaws.com/${path}`);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    return url;
  }

  async send<Input, Output>(command: Command<Input, Output>): Promise<Output> {
    const req = command.request();
    let res: AwsHttpResponse;
    try {
      res = await sendAws(this.http, { method: req.method, url: this.url(req.bucket, req.key, req.query), headers: req.headers ?? {}, body: req.body ?? '', operation: req.operation, s3: true }, parseXmlError);
    } catch (error) {
      if (error instanceof AwsServiceError) {
        const code = error.statusCode === 404 && req.operation === 'GetObject' && error.code === 'NotFound' ? 'NoSuchKey' : error.code;
        throw new S3ServiceException(code, `S3 ${req.operation} failed: ${code}${error.statusCode ? ` (HTTP ${error.statusCode})` : ''}`, error.statusCode || undefined, { cause: error });
      }
      throw error;
    }
    return command.parse(res);
  }

  /** Nothing to release (keep-alive sockets are shared by the small AWS clients); for SDK parity. */
  destroy(): void {}
}
