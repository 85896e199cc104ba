/**
 * Composition of the alerting half: destinations built from the configuration, the alert state
 * machine on a StateStore, the operator notifier, and the job handlers the check and live-health
 * workers run (`processJobBatch` calls them). Lambda and the local runtime differ only in the
 * adapters they pass in (DynamoDB vs file state store, SNS vs log operator notifier).
 */
import { randomUUID } from 'node:crypto';
import type { ReportingConfig, SecretRef, Destination } from '../config/schema.js';
import type { JobMessage } from '../jobs/job-message.js';
import type { KalturaApi } from '../kaltura/kaltura-api.js';
import type { StateStore } from '../ports/state-store.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { join } from 'node:path';
import { ReportingError } from '../errors/base-error.js';
import { deferralSecondsFor } from '../errors/back-off.js';
import { createSecretResolver } from './secret-resolver.js';
import { PermanentJobError, type JobHandler } from '../queues/job-batch-processor.js';
import { buildAlertMessage, type AlertMessage, type AlertSeverity, type Observation } from './alert-message.js';
import { AlertDeliveryError, AlertInProgressError, evaluateAlert, type DeliveryOutcome, type EvaluateAlertResult } from './alert-state.js';
import { createLogOperatorNotifier, type OperatorNotifier } from './operator-notifier.js';
import { parseDurationMs } from './duration.js';
import { DestinationError, type AlertDestination, type Sleep } from './destinations/destination.js';
import { createSlackDestination } from './destinations/slack.js';
import { createTeamsDestination } from './destinations/teams.js';
import { createKalturaEmailDestination } from './destinations/kaltura-email.js';
import { createWebhookDestination } from './destinations/webhook.js';
import { createSnsDestination, type SnsPublisher } from './destinations/sns.js';
import { createLocalDestination } from './destinations/local.js';
import { checkObservation, errorCheckResult, recordCheckResult, runCheck, type CheckMessage, type CheckResult } from '../checks/run-check.js';
import { watchLiveStream, type LiveHealthMessage } from '../live-health/watch-live-stream.js';
import { holdWatchLease } from '../live-health/watch-lease.js';

export interface AlertEngineDeps {
  readonly config: ReportingConfig;
  readonly stateStore: StateStore;
  /** Default: an error log line (plus `DATA_DIR/operator.jsonl` when `dataDir` is given). */
  readonly operator?: OperatorNotifier;
  readonly logger?: Logger;
  /** The `local` destination's file; default `${dataDir}/alerts.jsonl` when `dataDir` is given. */
  readonly localAlertsPath?: string;
  /** The local runtime's DATA_DIR: alerts in `alerts.jsonl`, operator problems in `operator.jsonl`. */
  readonly dataDir?: string;
  /** The Kaltura client; its `getKs()` is the default KS source of the Kaltura Messaging destination. */
  readonly api?: KalturaApi;
  /** A KS for the Kaltura Messaging destination; default `api.getKs()`. */
  readonly getKs?: () => Promise<string>;
  /** Default: environment variables and Secrets Manager through the small signed client (`secret-resolver.ts`). */
  readonly resolveSecret?: (ref: SecretRef) => Promise<string>;
  readonly now?: () => Date;
  /** For destinations' pacing and Retry-After waits (tests pass a fast one). */
  readonly sleep?: Sleep;
  /** SNS publisher (tests); default the signed Query-protocol call. */
  readonly snsPublish?: SnsPublisher;
  /** Slack pacing per webhook; default 1000 ms. */
  readonly slackMinIntervalMs?: number;
  readonly httpTimeoutMs?: number;
}

export interface EvaluateInput {
  readonly message: JobMessage;
  readonly jobKind: 'check' | 'live-health';
  readonly observation: Observation;
  readonly destinations: ReadonlyArray<string>;
  readonly repeatInterval?: string;
  readonly severity?: AlertSeverity;
  /** Separate alerts for one job (live watches: `health`, `viewers`). */
  readonly aspect?: string;
  readonly logger?: Logger;
}

export interface AlertEngine {
  evaluate(input: EvaluateInput): Promise<EvaluateAlertResult>;
  /** The destination built from the configuration (for `kreports` test sends). */
  destination(name: string): AlertDestination;
}

interface DestinationHealth {
  readonly broken: boolean;
  readonly since: string;
  readonly reason?: string;
}

export function createAlertEngine(deps: AlertEngineDeps): AlertEngine {
  const now = deps.now ?? (() => new Date());
  const secret = deps.resolveSecret ?? createSecretResolver();
  const built = new Map<string, AlertDestination>();
  const api = deps.api;
  const getKs = deps.getKs ?? (api?.getKs ? () => api.getKs!() : undefined);
  const localAlertsPath = deps.localAlertsPath ?? (deps.dataDir ? join(deps.dataDir, 'alerts.jsonl') : undefined);
  const operator =
    deps.operator ??
    createLogOperatorNotifier({ logger: deps.logger ?? createLogger({ service: 'alerts' }), ...(deps.dataDir ? { path: join(deps.dataDir, 'operator.jsonl') } : {}) });

  function build(name: string, config: Destination): AlertDestination {
    const timeout = deps.httpTimeoutMs ? { timeoutMs: deps.httpTimeoutMs } : {};
    const sleep = deps.sleep ? { sleep: deps.sleep } : {};
    switch (config.type) {
      case 'slack':
        return createSlackDestination({ name, url: () => secret(config.url), ...timeout, ...sleep, ...(deps.slackMinIntervalMs !== undefined ? { minIntervalMs: deps.slackMinIntervalMs } : {}) });
      case 'teams':
        return createTeamsDestination({ name, url: () => secret(config.url), ...timeout, ...sleep });
      case 'webhook':
        return createWebhookDestination({ name, url: () => secret(config.url), signingSecret: () => secret(config.signingSecret), ...timeout, ...sleep });
      case 'kaltura-email':
        return createKalturaEmailDestination({
          name,
          templateId: config.templateId,
          receiverUserIds: config.receiverUserIds,
          ...(config.appGuid ? { appGuid: config.appGuid } : {}),
          ...(config.messagingUrl ? { messagingUrl: config.messagingUrl } : {}),
          getKs:
            getKs ??
            (() => Promise.reject(new DestinationError(name, 'no Kaltura session provider is configured for Kaltura Messaging in this runtime.', { retryable: false }))),
          ...timeout,
        });
      case 'sns':
        return createSnsDestination({ name, topicArn: config.topicArn, ...(deps.snsPublish ? { publish: deps.snsPublish } : {}) });
      case 'local':
        if (!localAlertsPath) {
          return { name, type: 'local', send: () => Promise.reject(new DestinationError(name, 'the local destination only works in the local runtime (npm start); use another destination in AWS.', { retryable: false })) };
        }
        return createLocalDestination({ name, path: localAlertsPath });
    }
  }

  function destination(name: string): AlertDestination {
    let d = built.get(name);
    if (!d) {
      const config = deps.config.destinations[name];
      if (!config) throw new DestinationError(name, `no destination named "${name}" in the configuration's destinations.`, { retryable: false });
      d = build(name, config);
      built.set(name, d);
    }
    return d;
  }

  async function setHealth(name: string, broken: boolean, reason: string | undefined): Promise<boolean> {
    const key = `destination#${name}`;
    for (let i = 0; i < 3; i++) {
      const current = await deps.stateStore.get<DestinationHealth>(key);
      if ((current?.value.broken ?? false) === broken) return false;
      const value: DestinationHealth = { broken, since: now().toISOString(), ...(reason ? { reason } : {}) };
      if (await deps.stateStore.put(key, value, current?.version)) return true;
    }
    return false;
  }

  async function deliver(name: string, message: AlertMessage, logger: Logger | undefined): Promise<DeliveryOutcome> {
    let type = deps.config.destinations[name]?.type ?? 'unknown';
    try {
      const d = destination(name);
      type = d.type;
      await d.send(message);
      logger?.metric('AlertDelivered', 1, { destinationType: type });
      await setHealth(name, false, undefined).catch(() => false);
      return { ok: true };
    } catch (error) {
      const retryable = !(error instanceof ReportingError) || error.retryable;
      const reason = error instanceof ReportingError ? error.message : `unexpected ${error instanceof Error ? error.name : 'error'}`;
      logger?.metric(retryable ? 'AlertDeliveryRetry' : 'AlertDeliveryFailed', 1, { destinationType: type });
      if (!retryable) {
        logger?.error('alert destination failed permanently', { destination: name, reason });
        // Report once per breakage: only the evaluation that flips the destination to broken tells the operator.
        if (await setHealth(name, true, reason).catch(() => true)) {
          await operator
            .notify({ destination: name, type, reason, at: now().toISOString(), alert: { rule: message.rule, job: message.job, subjectId: message.subject.id, kind: message.kind } })
            .catch((notifyError: unknown) => logger?.error('could not notify the operator', { error: notifyError }));
        }
      } else {
        logger?.warn('alert destination failed temporarily', { destination: name, reason });
      }
      return { ok: false, permanent: !retryable, reason };
    }
  }

  return {
    destination,
    async evaluate(input) {
      const { message } = input;
      const at = now();
      const logger = input.logger ?? deps.logger;
      return evaluateAlert({
        store: deps.stateStore,
        key: { rule: message.rule, job: message.spec.name, subject: message.subject, ...(input.aspect ? { aspect: input.aspect } : {}) },
        observation: input.observation,
        now: at,
        repeatIntervalMs: parseDurationMs(input.repeatInterval, '24h'),
        destinations: input.destinations,
        jobId: message.jobId,
        ownerId: randomUUID(),
        ...(logger ? { logger } : {}),
        buildMessage: ({ id, kind, previousStatus, since }) =>
          buildAlertMessage({
            id,
            kind,
            severity: input.severity ?? 'warning',
            rule: message.rule,
            job: message.spec.name,
            jobKind: input.jobKind,
            jobId: message.jobId,
            subject: message.subject,
            observation: input.observation,
            previousStatus,
            ...(since ? { since } : {}),
            now: at,
            kmcUrl: deps.config.kaltura.kmcUrl,
          }),
        deliver: (name, alert) => deliver(name, alert, logger),
      });
    },
  };
}

export interface JobHandlerDeps extends AlertEngineDeps {
  readonly api: KalturaApi;
  /** Reuse an engine (the local runtime builds one for both workers). */
  readonly engine?: AlertEngine;
}

/** The check worker's handler: run the check, record the result, evaluate the alert. */
export function createCheckJobHandler(deps: JobHandlerDeps): JobHandler {
  const engine = deps.engine ?? createAlertEngine(deps);
  const now = deps.now ?? (() => new Date());
  return async (message, context) => {
    if (message.spec.kind !== 'check') throw new PermanentJobError(`The check worker received a "${message.spec.kind}" job; send it to the ${message.spec.kind} queue.`);
    let check = message as CheckMessage;
    const spec = check.spec;
    if (check.subject.scope === 'entry' && !check.subject.name) {
      // Schedules carry no entry name; alerts should show one. Best effort: never fail the check for it.
      const entry = await deps.api.getEntry(check.subject.id).catch(() => undefined);
      if (entry?.name) check = { ...check, subject: { ...check.subject, name: entry.name } };
      message = check;
    }
    const evaluate = (result: CheckResult) =>
      engine.evaluate({
        message,
        jobKind: 'check',
        observation: checkObservation(result),
        destinations: spec.destinations,
        ...(spec.repeatInterval ? { repeatInterval: spec.repeatInterval } : {}),
        ...(spec.severity ? { severity: spec.severity } : {}),
        logger: context.logger,
      });

    let result: CheckResult;
    try {
      result = await runCheck(deps.api, check, now());
    } catch (error) {
      const permanent = error instanceof ReportingError && !error.retryable;
      // A back-off (Kaltura 429) is deferred by the batch processor without using an attempt: not the last one.
      const lastAttempt = context.maxAttempts !== undefined && context.attempt >= context.maxAttempts && deferralSecondsFor(error, message) === undefined;
      if (permanent || lastAttempt) {
        // The check cannot run (permission, bad report type, bad metric — or Kaltura kept failing
        // until the last attempt): say so, then let the job be dead-lettered with the reason.
        const reason = error instanceof Error ? error.message : String(error);
        const failed = errorCheckResult(check, now(), permanent ? reason : `gave up after ${context.attempt} attempts: ${reason}`);
        await recordCheckResult(deps.stateStore, failed);
        // The job goes to the dead-letter queue with its own reason even if another evaluation is sending
        // this alert right now (deferring it would hide the reason and restart its attempts).
        await evaluate(failed).catch(unlessInProgress(context.logger));
      }
      throw error;
    }
    await recordCheckResult(deps.stateStore, result);
    context.logger.info('check evaluated', { verdict: result.verdict, value: result.value, threshold: result.threshold, metric: result.metric });
    context.logger.metric('CheckEvaluated', 1, { verdict: result.verdict });
    const outcome = await evaluate(result);
    if (outcome.notified) context.logger.info('alert sent', { kind: outcome.notified, delivered: outcome.delivered, failed: outcome.failed });
  };
}

/** The live-health worker's handler: one poll, alerts, and the next poll as an SQS delay. */
export function createLiveHealthJobHandler(deps: JobHandlerDeps & { readonly idleStopMs?: number }): JobHandler {
  const engine = deps.engine ?? createAlertEngine(deps);
  const now = deps.now ?? (() => new Date());
  return async (message, context) => {
    if (message.spec.kind !== 'live-health') throw new PermanentJobError(`The live-health worker received a "${message.spec.kind}" job; send it to the ${message.spec.kind} queue.`);
    const watch = message as LiveHealthMessage;
    const spec = watch.spec;
    const evaluate = (aspect: string, observation: Observation, current: JobMessage) =>
      engine.evaluate({
        message: current,
        jobKind: 'live-health',
        observation,
        destinations: spec.destinations,
        aspect,
        repeatInterval: spec.repeatInterval ?? '15m',
        severity: aspect === 'health' ? 'critical' : 'warning',
        logger: context.logger,
      });
    try {
      const outcome = await watchLiveStream(watch, {
        api: deps.api,
        now,
        logger: context.logger,
        ...(deps.idleStopMs !== undefined ? { idleStopMs: deps.idleStopMs } : {}),
        holdLease: (watchId, nowSeconds, staleAfter) =>
          holdWatchLease(deps.stateStore, `watch#${watch.rule}#${spec.name}#${watch.subject.scope}:${watch.subject.id}`, watchId, nowSeconds, staleAfter),
        // A watch is its own retry loop: when another evaluation is sending this alert (or died while
        // sending it), the watch goes on polling, and a later poll finds the alert sent or takes it over.
        // Deferring the job instead would drop this poll and, on a first poll, the watch's lease id.
        evaluate: async (aspect, observation, current) => {
          await evaluate(aspect, observation, current).catch(unlessInProgress(context.logger));
        },
      });
      if (outcome.stopped) context.logger.info('live watch stopped', { reason: outcome.stopped });
      return outcome.next;
    } catch (error) {
      const permanent = error instanceof ReportingError && !error.retryable && !(error instanceof DestinationError);
      const lastAttempt = context.maxAttempts !== undefined && context.attempt >= context.maxAttempts && !(error instanceof AlertDeliveryError) && deferralSecondsFor(error, watch) === undefined;
      if (permanent || lastAttempt) {
        // The watch ends here (dead-lettered): tell the audience the stream is no longer watched.
        const reason = error instanceof Error ? error.message : String(error);
        await evaluate('health', { status: 'error', description: `The live watch stopped: ${permanent ? reason : `gave up after ${context.attempt} attempts: ${reason}`}`, facts: [] }, watch).catch(
          unlessInProgress(context.logger),
        );
      }
      throw error;
    }
  };
}

/**
 * For a `.catch`: swallows `AlertInProgressError` (another evaluation holds this alert's pending
 * notification; logged), rethrows anything else. For callers that must not be deferred by it.
 */
function unlessInProgress(logger: Logger | undefined): (error: unknown) => void {
  return (error) => {
    if (!(error instanceof AlertInProgressError)) throw error;
    logger?.info('alert left to the evaluation that claimed it', { reason: error.message });
  };
}
