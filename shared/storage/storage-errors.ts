import { ReportingError } from '../errors/base-error.js';

/** Writing to the bucket (S3 or DATA_DIR/bucket) failed; nothing was left at the key. Retryable. */
export class BlobWriteError extends ReportingError {
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options);
    this.retryable = options?.retryable ?? true;
  }
}

/** A key that cannot be stored (empty, absolute, `..` segments). Permanent. */
export class InvalidKeyError extends ReportingError {
  readonly retryable = false;
}

export function checkKey(key: string): void {
  if (key === '' || key.startsWith('/') || key.split('/').some((s) => s === '' || s === '.' || s === '..') || key.includes('\\') || key.includes('\0')) {
    throw new InvalidKeyError(`Invalid object key "${key.slice(0, 200)}": keys are relative, '/'-separated, without empty, '.' or '..' segments.`);
  }
}
