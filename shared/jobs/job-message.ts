/**
 * The unit of work on the job queues. The receiver (from a notification) and the scheduler (from a
 * schedule) produce these; the workers consume them.
 *
 * The job spec is embedded with its placeholders already resolved, so a message is self-contained:
 * it can sit in a dead-letter queue for a week and be replayed after the configuration changed.
 */
import { z } from '../validation/zod.js';
import { JobSpecSchema } from '../config/schema.js';

export const JOB_MESSAGE_VERSION = 1 as const;

/** The reporting period, already computed in `timezone`. `[from, to)` in unix seconds. */
export const JobWindowSchema = z.strictObject({
  from: z.int(),
  to: z.int(),
  timezone: z.string(),
  /** Path-safe period label used in S3 keys, e.g. `2026-11-16_2026-11-23`. */
  label: z.string().check(z.minLength(1)),
  /**
   * Kaltura's `timeZoneOffset` report filter field for this window: minutes, UTC minus local, at
   * `from` (New York in winter = 300). Set by whoever builds the job (it has the time-zone data
   * loaded anyway), so a worker needs none for its report calls: the first `Intl.DateTimeFormat` of
   * a process costs 12–18 ms of CPU. Absent from jobs built before it existed: computed then.
   */
  timeZoneOffset: z.optional(z.int()),
});
export type JobWindow = z.infer<typeof JobWindowSchema>;

export const JobSubjectSchema = z.strictObject({
  scope: z.enum(['partner', 'entry', 'category', 'virtual-event', 'user', 'child-partner']),
  /** The subject id (entry id, category id...); the partner id for `partner` scope. */
  id: z.string().check(z.minLength(1)),
  /** Human name when known (entry name from the notification), for alert messages. */
  name: z.optional(z.string()),
});
export type JobSubject = z.infer<typeof JobSubjectSchema>;

export const JobTriggerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('notification'),
    eventNotificationJobId: z.string(),
    /** Where the raw notification is archived (blob store key), for replay. */
    archiveKey: z.optional(z.string()),
    receivedAt: z.string(),
  }),
  z.strictObject({
    type: z.literal('schedule'),
    schedule: z.string(),
    /** The instant the schedule fired (or `--at` for a backfill), ISO 8601. */
    scheduledAt: z.string(),
  }),
  z.strictObject({ type: z.literal('manual'), requestedAt: z.string() }),
]);
export type JobTrigger = z.infer<typeof JobTriggerSchema>;

/** Progress carried between polls by re-enqueueing with a delay (microservice jobs, live watches). */
export const JobProgressSchema = z.looseObject({
  /** How many times this job has been re-enqueued to poll. */
  polls: z.int().check(z.gte(0)),
  /** When polling started, ISO 8601. */
  startedAt: z.string(),
});
export type JobProgress = z.infer<typeof JobProgressSchema>;

export const JobMessageSchema = z.strictObject({
  version: z.literal(JOB_MESSAGE_VERSION),
  /**
   * Deterministic id of this unit of work: the same (rule, job, subject, period) always gives the
   * same id, so a re-run replaces outputs and alert state instead of duplicating them.
   */
  jobId: z.string().check(z.minLength(1)),
  /** Rule or schedule name. */
  rule: z.string(),
  trigger: JobTriggerSchema,
  subject: JobSubjectSchema,
  window: JobWindowSchema,
  /** The job spec with placeholders resolved. */
  spec: JobSpecSchema,
  progress: z.optional(JobProgressSchema),
  /**
   * Set when the job was deferred because Kaltura asked to back off (429, 503 + Retry-After): how many
   * times and since when. Deferrals do not count as receive attempts; this bounds them
   * (shared/queues/job-batch-processor.ts, MAX_BACK_OFF_SECONDS).
   */
  backOff: z.optional(z.strictObject({ count: z.int().check(z.gte(1)), since: z.string() })),
});
export type JobMessage = z.infer<typeof JobMessageSchema>;
export type JobKind = JobMessage['spec']['kind'];
export const JOB_KINDS = ['check', 'export', 'microservice', 'live-health'] as const satisfies ReadonlyArray<JobKind>;
