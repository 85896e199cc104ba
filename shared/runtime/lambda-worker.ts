/**
 * What every worker Lambda does the same way: read the Kaltura credentials secret, build the Kaltura
 * client options from the environment, find the queue URLs, and build itself on the first invocation
 * (kept for the life of the execution environment; a failed start is retried on the next one, SQS
 * redelivers the batch meanwhile).
 *
 * Deliberately light: no Kaltura client or AWS adapter imported here, so each worker keeps its own
 * choice of what loads at init and what on first use (cold start budget, docs/deploy.md).
 */
import { cachedSecretString } from '../secrets/secrets-manager.js';
import { ValidationError } from '../errors/base-error.js';
import { z } from '../validation/zod.js';
import { JOB_KINDS, type JobKind } from '../jobs/job-message.js';
import type { KalturaClientOptions } from '../kaltura/kaltura-client.js';
import type { Logger } from '../logging/logger.js';
import type { BatchResponse, QueueRecord } from '../queues/job-batch-processor.js';
import type { LambdaEnv } from './lambda-env.js';

/** `KALTURA_CREDENTIALS_SECRET` (JSON): an admin secret, an app token, or both. */
const CredentialsSchema = z.object({
  adminSecret: z.optional(z.string().check(z.minLength(1))),
  appTokenId: z.optional(z.string().check(z.minLength(1))),
  appToken: z.optional(z.string().check(z.minLength(1))),
  appTokenHashType: z.optional(z.enum(['SHA1', 'SHA256', 'SHA512', 'MD5'])),
});
export type KalturaCredentials = z.infer<typeof CredentialsSchema>;

export async function readKalturaCredentials(secretName: string): Promise<KalturaCredentials> {
  const text = await cachedSecretString(secretName)();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ValidationError(`The Kaltura credentials secret "${secretName}" is not JSON; store {"adminSecret": "..."} or {"appTokenId": "...", "appToken": "..."}.`);
  }
  const parsed = CredentialsSchema.safeParse(raw);
  if (!parsed.success || (!parsed.data.adminSecret && !(parsed.data.appTokenId && parsed.data.appToken))) {
    throw new ValidationError(`The Kaltura credentials secret "${secretName}" needs "adminSecret", or "appTokenId" and "appToken".`);
  }
  return parsed.data;
}

export function kalturaOptionsFromLambdaEnv(
  env: Pick<LambdaEnv, 'KALTURA_SERVICE_URL' | 'KALTURA_PARTNER_ID' | 'KALTURA_REPORTS_URL'>,
  credentials: KalturaCredentials,
  logger: Logger,
): KalturaClientOptions {
  return {
    serviceUrl: env.KALTURA_SERVICE_URL,
    partnerId: env.KALTURA_PARTNER_ID,
    ...(env.KALTURA_REPORTS_URL ? { reportsUrl: env.KALTURA_REPORTS_URL } : {}),
    ...(credentials.adminSecret ? { adminSecret: credentials.adminSecret } : {}),
    // SHA1 when unset: the server's own default for app tokens (WIRE_FACTS §5.4).
    ...(credentials.appTokenId && credentials.appToken ? { appToken: { id: credentials.appTokenId, token: credentials.appToken, hashType: credentials.appTokenHashType ?? 'SHA1' } } : {}),
    logger,
  };
}

/** Queue (or DLQ) URL per job kind, from env read with `readLambdaEnv` (`QUEUE_URL_ENV` or `DLQ_URL_ENV`). */
export { urlsByKind } from './lambda-env.js';

export interface Worker {
  readonly run: (records: ReadonlyArray<QueueRecord>) => Promise<BatchResponse>;
}

/** The Lambda handler of a worker: built on first use, an SQS event in, partial batch failures out. */
export function lazyWorkerLambda(logger: Logger, start: () => Promise<Worker>): (event: { Records?: ReadonlyArray<QueueRecord> }) => Promise<BatchResponse> {
  let worker: Promise<Worker> | undefined;
  return async function workerHandler(event) {
    worker ??= start().catch((error: unknown) => {
      worker = undefined;
      logger.error('worker could not start', { error });
      throw error;
    });
    return (await worker).run(event.Records ?? []);
  };
}
