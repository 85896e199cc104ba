/**
 * The webhook receiver: Kaltura HTTP notification in, jobs on the queues out (SPEC §4).
 *
 * One function, `handle({headers, body})`, behind both the Lambda (API Gateway HTTP API) and the
 * local HTTP server. Order of work for a request:
 *   size limit (413) -> signature over the exact bytes (401) -> body and schema (400)
 *   -> claim eventNotificationJobId -> archive the raw notification -> queue one message per job
 *   -> mark the id completed -> 200.
 * Anything that fails after the signature check releases the claim and answers 503, so Kaltura
 * (which counts only 200/204 as delivered) retries and nothing is lost. A notification that matches
 * no rule is archived and answered 200.
 *
 * Concurrent duplicates: while another request holds the claim, we wait up to `concurrentWaitMs`
 * for it to finish. If it completed, this one is a duplicate (200). If it failed and released the
 * claim, this request takes over and does the work itself. If it is still running, we answer 503:
 * answering 200 for work that may still fail would lose the notification, since Kaltura would not
 * retry; a 503 only costs a retry that will then be answered "duplicate".
 */
import type { ReportingConfig } from '../config/schema.js';
import type { JobKind, JobMessage } from '../jobs/job-message.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { DeadLetterSink } from '../ports/dead-letter-sink.js';
import type { IdempotencyStore } from '../ports/idempotency-store.js';
import type { JobQueue } from '../ports/job-queue.js';
import { emitMetrics, type Logger, type MetricEntry } from '../logging/logger.js';
import { z } from '../validation/zod.js';
import { ValidationError } from '../errors/base-error.js';
import { formatIssues } from '../validation/format-issues.js';
import { headerValue, verifySignature, type Headers, type HashAlgorithm } from './signature.js';
import { parseNotificationBody, type BodyFormat } from './notification-body.js';
import { parseKalturaHttpNotification, type KalturaHttpNotification } from './notification-schema.js';
import { jobsForNotification, type MatchResult } from './rule-matching.js';
import { archiveDocument, archiveKeyFor, archiveKeyForIso, ArchivedNotificationSchema } from './notification-archive.js';

/** 256 KiB. A Kaltura entry notification is a few KB; anything near this is not one. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
/** How long a claim blocks other deliveries of the same id before it is considered abandoned. */
export const DEFAULT_LOCK_SECONDS = 30;
/** How long a completed id is remembered. Kaltura retries for minutes (open source) to a day (guides). */
export const DEFAULT_TTL_SECONDS = 7 * 24 * 3600;
export const DEFAULT_CONCURRENT_WAIT_MS = 2000;

export type ReceiverOutcome = 'accepted' | 'duplicate' | 'unmatched' | 'rejected-signature' | 'rejected-body' | 'deferred' | 'failed';

export interface ReceiverRequest {
  readonly headers: Headers;
  readonly body: Buffer;
}

export interface ReceiverResponse {
  readonly status: 200 | 400 | 401 | 413 | 503;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** For the caller's logs and tests; not sent. */
  readonly outcome: ReceiverOutcome;
}

export interface ReceiverDeps {
  readonly config: ReportingConfig;
  /** Used when the notification's object carries no partnerId. */
  readonly partnerId: number;
  /**
   * Accepted X-KALTURA-SIGNATURE secrets (several during a rotation). A function is called for each
   * request (cache inside it) so a rotated secret is picked up without a restart; if it throws the
   * request is answered 503 (Kaltura retries).
   */
  readonly secrets: ReadonlyArray<string> | (() => Promise<ReadonlyArray<string>>);
  readonly queue: JobQueue;
  /** Raw notifications are kept here for `kreports replay` (S3 in AWS, DATA_DIR/bucket locally). */
  readonly archive: BlobStore;
  readonly idempotency: IdempotencyStore;
  /**
   * Where a matched job that cannot be built (a placeholder with no value in this notification) is
   * recorded with its reason, so an accepted notification never just disappears into a log line.
   * Without it (tests, tools) such jobs are only logged and counted.
   */
  readonly deadLetters?: DeadLetterSink;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly maxBodyBytes?: number;
  readonly lockSeconds?: number;
  readonly ttlSeconds?: number;
  readonly concurrentWaitMs?: number;
}

export interface Receiver {
  readonly maxBodyBytes: number;
  handle(request: ReceiverRequest): Promise<ReceiverResponse>;
  /**
   * The 413 for a body the caller stopped reading at the limit (a Content-Length over it, or a
   * chunked body that grew past it): logged and counted like one `handle` refuses itself.
   */
  rejectTooLarge(bytesSoFar: number): ReceiverResponse;
  /**
   * Re-queue an archived notification (`kreports replay`): no signature check (it was verified on
   * arrival and the archive is ours) and no idempotency check (replaying is a deliberate repeat).
   */
  replay(archived: Uint8Array | string): Promise<MatchResult>;
}

// The archive's key and document format live in notification-archive.ts; re-exported for callers of the receiver.
export { ARCHIVE_PREFIX, archiveKeyFor, ArchivedNotificationSchema, type ArchivedNotification } from './notification-archive.js';

// ---------------------------------------------------------------------------------------------

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

function respond(status: ReceiverResponse['status'], outcome: ReceiverOutcome, body: Record<string, unknown>, extra: Record<string, string> = {}): ReceiverResponse {
  return { status, outcome, headers: { ...JSON_HEADERS, ...extra }, body: JSON.stringify(body) };
}

const UNAUTHORIZED = () => respond(401, 'rejected-signature', { error: 'unauthorized' });
const UNAVAILABLE = (outcome: ReceiverOutcome) =>
  respond(503, outcome, { error: 'unavailable', message: 'The notification was not queued; retry later.' }, { 'retry-after': '60' });

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function groupByKind(messages: ReadonlyArray<JobMessage>): Map<JobKind, JobMessage[]> {
  const byKind = new Map<JobKind, JobMessage[]>();
  for (const m of messages) {
    const list = byKind.get(m.spec.kind) ?? [];
    list.push(m);
    byKind.set(m.spec.kind, list);
  }
  return byKind;
}

export function createReceiver(deps: ReceiverDeps): Receiver {
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const lockSeconds = deps.lockSeconds ?? DEFAULT_LOCK_SECONDS;
  const ttlSeconds = deps.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const concurrentWaitMs = deps.concurrentWaitMs ?? DEFAULT_CONCURRENT_WAIT_MS;
  const now = deps.now ?? (() => new Date());
  const log = deps.logger;
  const staticSecrets = Array.isArray(deps.secrets) ? (deps.secrets as ReadonlyArray<string>) : undefined;
  if (staticSecrets && staticSecrets.filter((s) => s !== '').length === 0) {
    throw new ValidationError('The receiver needs at least one webhook secret: set KALTURA_WEBHOOK_SECRETS (local) or the webhook secrets secret (AWS).');
  }
  const usableStaticSecrets = staticSecrets?.filter((s) => s !== '');
  const loadSecrets = async (): Promise<ReadonlyArray<string>> => (await (deps.secrets as () => Promise<ReadonlyArray<string>>)()).filter((s) => s !== '');

  const count = (outcome: ReceiverOutcome, logger: Logger = log) => logger.metric('Notifications', 1, { outcome });

  async function claim(key: string, logger: Logger): Promise<'claimed' | 'completed' | 'in-progress'> {
    const deadline = Date.now() + concurrentWaitMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
      const result = await deps.idempotency.claim(key, { lockSeconds });
      if (result.status !== 'in-progress') return result.status;
      if (Date.now() + delay > deadline) return 'in-progress';
      logger.debug('Another delivery of this notification is in progress; waiting for it', { waitMs: delay });
      await sleep(delay);
    }
  }

  /**
   * One send per kind (SQS: a queue per kind), one after the other: when a send fails, the kinds
   * after it have not gone, so Kaltura's retry sends as few jobs twice as possible.
   */
  async function queueJobs(messages: ReadonlyArray<JobMessage>): Promise<void> {
    if (messages.length === 0) return;
    for (const [kind, list] of groupByKind(messages)) await deps.queue.send(kind, list);
  }

  /** Logs the jobs that could not be built; returns the match's metrics, written once the jobs are queued (with the outcome's, in one line). */
  function reportMatch(match: MatchResult, logger: Logger): MetricEntry[] {
    for (const u of match.unresolved) {
      logger.error('A job of a matching rule could not be created; the other jobs still go. Fix the rule.', { rule: u.rule, job: u.job, reason: u.reason, errorName: u.errorName });
    }
    const metrics: MetricEntry[] = [];
    if (match.unresolved.length > 0) metrics.push({ name: 'JobsUnresolved', value: match.unresolved.length });
    if (match.messages.length > 0) metrics.push({ name: 'JobsQueued', value: match.messages.length });
    return metrics;
  }

  /** A dead letter per job that could not be built; replaying it means replaying the notification. */
  async function deadLetterUnresolved(match: MatchResult, jobId: string, archiveKey: string): Promise<void> {
    if (!deps.deadLetters || match.unresolved.length === 0) return;
    const failedAt = now().toISOString();
    for (const u of match.unresolved) {
      await deps.deadLetters.send({
        kind: u.kind,
        body: JSON.stringify({ type: 'unbuildable-job', rule: u.rule, job: u.job, eventNotificationJobId: jobId, archiveKey }),
        reason: `${u.reason} Then re-run it from the archived notification: kreports replay --notification ${jobId} (add --aws for the deployed stack, after deploying the fixed configuration)`,
        errorName: u.errorName,
        failedAt,
        attempts: 1,
      });
    }
  }

  async function handleVerified(request: ReceiverRequest, algo: HashAlgorithm, started: number): Promise<ReceiverResponse> {
    const parsedBody = parseNotificationBody(request.body);
    if (!parsedBody.ok) {
      log.warn('Signed request rejected: not a Kaltura notification', { reason: parsedBody.reason, bytes: request.body.length });
      count('rejected-body');
      return respond(400, 'rejected-body', { error: 'bad-request', message: `Not a Kaltura notification: ${parsedBody.reason}.` });
    }
    const parsed = parseKalturaHttpNotification(parsedBody.value);
    if (!parsed.success) {
      // Field paths and reasons only: zod's messages name the expected type, never the received value.
      const problems = formatIssues('notification', parsed.error.issues).slice(0, 5);
      log.warn('Signed request rejected: not a KalturaHttpNotification', { problems, format: parsedBody.format });
      count('rejected-body');
      return respond(400, 'rejected-body', { error: 'bad-request', message: 'Not a KalturaHttpNotification.', problems });
    }
    const notification = parsed.data;
    const jobId = notification.eventNotificationJobId;
    const logger = log.child({ correlationId: jobId });
    return processNotification(request, notification, parsedBody.format, parsedBody.text, algo, logger, started);
  }

  async function processNotification(
    request: ReceiverRequest,
    notification: KalturaHttpNotification,
    format: BodyFormat,
    bodyText: string,
    algo: HashAlgorithm,
    logger: Logger,
    started: number,
  ): Promise<ReceiverResponse> {
    const jobId = notification.eventNotificationJobId;
    const idemKey = `notification#${jobId}`;
    let claimStatus: 'claimed' | 'completed' | 'in-progress';
    try {
      claimStatus = await claim(idemKey, logger);
    } catch (error) {
      logger.error('Idempotency store unavailable; answering 503 so Kaltura retries', { error });
      count('failed', logger);
      return UNAVAILABLE('failed');
    }
    if (claimStatus === 'completed') {
      logger.info('Duplicate notification (already queued); nothing to do', { eventType: notification.eventType });
      count('duplicate', logger);
      return respond(200, 'duplicate', { status: 'duplicate', eventNotificationJobId: jobId });
    }
    if (claimStatus === 'in-progress') {
      logger.warn('Another delivery of this notification is still being processed; answering 503 so Kaltura retries');
      count('deferred', logger);
      return UNAVAILABLE('deferred');
    }

    const receivedAt = now();
    const receivedIso = receivedAt.toISOString();
    const archiveKey = archiveKeyForIso(jobId, receivedIso);
    let match: MatchResult;
    let matchMetrics: MetricEntry[];
    try {
      const contentType = headerValue(request.headers, 'content-type');
      const document = archiveDocument({ eventNotificationJobId: jobId, receivedAt: receivedIso, ...(contentType !== undefined ? { contentType } : {}), hashAlgo: algo, bodyFormat: format, partnerId: deps.partnerId }, request.body, bodyText);
      await deps.archive.putBytes(archiveKey, document, {
        contentType: 'application/json',
        metadata: { 'event-notification-job-id': jobId },
      });
      match = jobsForNotification(notification, { config: deps.config, partnerId: deps.partnerId, receivedAt, receivedAtIso: receivedIso, archiveKey });
      matchMetrics = reportMatch(match, logger);
      await queueJobs(match.messages);
      if (match.unresolved.length > 0) await deadLetterUnresolved(match, jobId, archiveKey);
    } catch (error) {
      logger.error('Could not archive or queue the notification; answering 503 so Kaltura retries', { error });
      await deps.idempotency.release(idemKey).catch((releaseError: unknown) => logger.warn('Could not release the idempotency claim; it expires by itself', { error: releaseError, lockSeconds }));
      count('failed', logger);
      return UNAVAILABLE('failed');
    }
    try {
      await deps.idempotency.complete(idemKey, { ttlSeconds });
    } catch (error) {
      // The jobs are durably queued, which is what 200 promises. The claim expires after lockSeconds.
      logger.warn('Jobs queued but the idempotency record could not be completed', { error });
    }
    const outcome: ReceiverOutcome = match.matchedRules.length === 0 ? 'unmatched' : 'accepted';
    logger.info(outcome === 'unmatched' ? 'Notification matched no rule (archived)' : 'Notification accepted', {
      eventType: notification.eventType,
      eventObjectType: notification.eventObjectType,
      templateSystemName: notification.templateSystemName,
      objectId: typeof notification.object?.id === 'string' ? notification.object.id : undefined,
      rules: match.matchedRules,
      jobs: match.messages.length,
      unresolvedJobs: match.unresolved.length,
      archiveKey,
      bodyFormat: format,
      durationMs: Date.now() - started,
    });
    emitMetrics(logger, [...matchMetrics, { name: 'Notifications', value: 1, dimensions: { outcome } }]);
    return respond(200, outcome, { status: outcome, eventNotificationJobId: jobId, jobs: match.messages.length });
  }

  function tooLarge(bytes: number): ReceiverResponse {
    log.warn('Request rejected: body over the size limit', { bytes, limitBytes: maxBodyBytes });
    count('rejected-body');
    return respond(413, 'rejected-body', { error: 'payload-too-large', limitBytes: maxBodyBytes });
  }

  return {
    maxBodyBytes,
    rejectTooLarge: tooLarge,
    async handle(request) {
      const started = Date.now();
      try {
        if (request.body.length > maxBodyBytes) return tooLarge(request.body.length);
        let secrets: ReadonlyArray<string>;
        try {
          // Static secrets (local runtime, tests) are used as they are: no promise per request.
          secrets = usableStaticSecrets ?? (await loadSecrets());
        } catch (error) {
          log.error('Webhook secrets unavailable; answering 503 so Kaltura retries', { error });
          count('failed');
          return UNAVAILABLE('failed');
        }
        const check = verifySignature(request.headers, request.body, secrets);
        if (!check.ok) {
          log.warn('Request rejected: bad or missing signature', { reason: check.reason, bytes: request.body.length });
          count('rejected-signature');
          return UNAUTHORIZED();
        }
        if (check.secretIndex > 0) log.info('Notification signed with an older webhook secret (rotation in progress)', { secretIndex: check.secretIndex });
        return await handleVerified(request, check.algo, started);
      } catch (error) {
        log.error('Unexpected receiver error; answering 503 so Kaltura retries', { error });
        count('failed');
        return UNAVAILABLE('failed');
      }
    },
    async replay(archived) {
      const text = typeof archived === 'string' ? archived : Buffer.from(archived).toString('utf8');
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (cause) {
        throw new ValidationError('Not an archived notification (not JSON). Pass a file from archive/notifications/.', [], { cause });
      }
      const docParsed = ArchivedNotificationSchema.safeParse(raw);
      if (!docParsed.success) {
        const details = formatIssues('archived notification', docParsed.error.issues);
        throw new ValidationError(`Not an archived notification: ${details.join('; ')}. Pass a file from archive/notifications/.`, details);
      }
      const doc = docParsed.data;
      let value: unknown;
      if (doc.version === 2) value = doc.notification;
      else {
        const parsedBody = parseNotificationBody(Buffer.from(doc.body, 'utf8'));
        if (!parsedBody.ok) throw new ValidationError(`Archived notification ${doc.eventNotificationJobId} cannot be read: ${parsedBody.reason}.`);
        value = parsedBody.value;
      }
      const notificationParsed = parseKalturaHttpNotification(value);
      if (!notificationParsed.success) {
        const details = formatIssues('archived notification body', notificationParsed.error.issues);
        throw new ValidationError(`Archived notification ${doc.eventNotificationJobId} is not a KalturaHttpNotification: ${details.join('; ')}.`, details);
      }
      const notification = notificationParsed.data;
      const logger = log.child({ correlationId: notification.eventNotificationJobId });
      const receivedAt = new Date(doc.receivedAt);
      const match = jobsForNotification(notification, {
        config: deps.config,
        // The partner id the receiver had when it archived the notification, for the same job ids.
        partnerId: doc.partnerId ?? deps.partnerId,
        receivedAt: Number.isNaN(receivedAt.getTime()) ? now() : receivedAt,
        archiveKey: archiveKeyFor(notification.eventNotificationJobId, Number.isNaN(receivedAt.getTime()) ? now() : receivedAt),
      });
      const matchMetrics = reportMatch(match, logger);
      await queueJobs(match.messages);
      emitMetrics(logger, matchMetrics);
      logger.info('Archived notification replayed', { rules: match.matchedRules, jobs: match.messages.length });
      return match;
    },
  };
}
