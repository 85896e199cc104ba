/**
 * The scheduler Lambda's logic: EventBridge Scheduler invokes it with the schedule's input,
 * `{"schedule": "<name>"}` (optionally `"scheduledTime": "<aws.scheduler.scheduled-time>"`, the
 * fire time; without it the invocation time is used), and it fans the schedule's jobs out to the
 * job queues. A failure throws: EventBridge Scheduler retries it (its retry policy) and then sends
 * the event to the schedule's dead-letter queue. Retried runs are harmless: job ids and S3 keys are
 * deterministic per period.
 */
import { z } from '../validation/zod.js';
import { formatIssues } from '../validation/format-issues.js';
import { ValidationError } from '../errors/base-error.js';
import { JOB_KINDS } from '../jobs/job-message.js';
import { createLogger } from '../logging/logger.js';
import { QUEUE_URL_ENV, readLambdaEnv, urlsByKind } from '../runtime/lambda-env.js';
import type { ReportingConfig } from '../config/schema.js';
import type { JobQueue } from '../ports/job-queue.js';
import { runSchedule, type ScheduleRunResult } from './run-schedule.js';

export const SchedulerEventSchema = z.object({
  schedule: z.string().check(z.minLength(1)),
  /** ISO 8601 fire time (EventBridge Scheduler context attribute `<aws.scheduler.scheduled-time>`). */
  scheduledTime: z.optional(z.iso.datetime({ offset: true })),
});
export type SchedulerEvent = z.infer<typeof SchedulerEventSchema>;

export function parseSchedulerEvent(event: unknown): SchedulerEvent {
  const parsed = SchedulerEventSchema.safeParse(event);
  if (!parsed.success) {
    const details = formatIssues('scheduler event', parsed.error.issues);
    throw new ValidationError(`The scheduler was invoked with an unexpected event: ${details.join('; ')}. The EventBridge schedule's input must be {"schedule": "<name>"}.`, details);
  }
  return parsed.data;
}

export interface SchedulerDeps {
  readonly config: ReportingConfig;
  readonly queue: JobQueue;
  readonly partnerId: number;
}

export async function handleSchedulerEvent(deps: SchedulerDeps, event: unknown, now: Date = new Date()): Promise<Omit<ScheduleRunResult, 'messages'> & { jobs: number }> {
  const input = parseSchedulerEvent(event);
  const at = input.scheduledTime ? new Date(input.scheduledTime) : now;
  const result = await runSchedule(deps, input.schedule, at);
  return { schedule: result.schedule, at: result.at, queued: result.queued, jobs: result.messages.length };
}

/** The Lambda handler (functions/scheduler). Dependencies are built on the first invocation. */
export function createSchedulerLambda(): (event: unknown) => Promise<{ schedule: string; at: string; jobs: number }> {
  const logger = createLogger({ service: 'scheduler' });
  let deps: Promise<SchedulerDeps> | undefined;
  const start = async (): Promise<SchedulerDeps> => {
    const env = readLambdaEnv(['REPORTING_CONFIG_PATH', 'KALTURA_PARTNER_ID', ...JOB_KINDS.map((k) => QUEUE_URL_ENV[k])]);
    const [{ readBundledConfig }, { createSqsJobQueue }] = await Promise.all([import('../config/bundled-config.js'), import('../queues/sqs-job-queue.js')]);
    const config = await readBundledConfig(env.REPORTING_CONFIG_PATH);
    const queueUrls = urlsByKind(env, QUEUE_URL_ENV);
    return { config, queue: createSqsJobQueue({ queueUrls }), partnerId: env.KALTURA_PARTNER_ID };
  };
  return async (event) => {
    deps ??= start().catch((error: unknown) => {
      deps = undefined;
      throw error;
    });
    try {
      const result = await handleSchedulerEvent(await deps, event);
      logger.info('schedule fanned out', result);
      logger.metric('ScheduleJobsQueued', result.jobs, { schedule: result.schedule });
      return { schedule: result.schedule, at: result.at, jobs: result.jobs };
    } catch (error) {
      logger.error('schedule run failed', { error, event: typeof event === 'object' ? event : String(event) });
      throw error;
    }
  };
}
