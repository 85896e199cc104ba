/**
 * Base class of every error the project throws on purpose.
 *
 * `retryable` drives the queues: a retryable error lets SQS redeliver the message; a permanent one
 * sends it to the dead-letter queue with `message` as the reason. Messages must say what to do next
 * and must never contain a KS, a secret or a signature.
 */
export abstract class ReportingError extends Error {
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration file, schedule payload or job message that does not validate. Permanent. */
export class ValidationError extends ReportingError {
  readonly retryable = false;
  constructor(
    message: string,
    readonly details: ReadonlyArray<string> = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
