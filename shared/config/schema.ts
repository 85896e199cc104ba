/**
 * The declarative configuration a user writes (YAML or JSON): which notifications trigger which
 * reporting jobs, thresholds, alert destinations and weekly schedules.
 *
 * Strict objects everywhere: a misspelt key is an error that names the field, not a silent default.
 * Secrets are references (`{ env }` or `{ secret }`), never inline values.
 */
import { z } from '../validation/zod.js';

const nonEmpty = () => z.string().check(z.minLength(1));
/** Names end up in S3 keys, queue attributes and alert state keys: keep them path-safe. */
const name = () =>
  z.string().check(
    z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes (1-63 characters), starting with a letter or digit'),
  );

/** A secret is never written in the configuration: it is read from the environment or AWS Secrets Manager. */
export const SecretRefSchema = z.union([
  z.strictObject({ env: z.string().check(z.regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name')) }),
  z.strictObject({
    /** Secrets Manager secret name or ARN. */
    secret: nonEmpty(),
    /** When the secret value is JSON, the key to read. */
    field: z.optional(nonEmpty()),
  }),
], { error: 'must be a secret reference { env: VARIABLE_NAME } or { secret: SECRETS_MANAGER_NAME }, never the secret value itself' });
export type SecretRef = z.infer<typeof SecretRefSchema>;

/** `90s`, `10m`, `1h`, `2d`. */
export const DurationSchema = z.string().check(z.regex(/^\d+(s|m|h|d)$/, 'must be a duration such as 90s, 10m, 1h or 2d'));

// ---------------------------------------------------------------------------------------------
// Alert destinations
// ---------------------------------------------------------------------------------------------

export const DestinationSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('slack'), url: SecretRefSchema }),
  z.strictObject({ type: z.literal('teams'), url: SecretRefSchema }),
  z.strictObject({
    type: z.literal('kaltura-email'),
    /** Kaltura Messaging template id (`messageTemplate.add`). */
    templateId: z.union([z.int(), nonEmpty()]),
    /** Kaltura user ids that receive the e-mail. */
    receiverUserIds: z.array(nonEmpty()).check(z.minLength(1)),
    /** Messaging service base URL; default derived from the Kaltura region. */
    messagingUrl: z.optional(z.url()),
    /** App Registry GUID the template belongs to (message/send wants it). */
    appGuid: z.optional(nonEmpty()),
  }),
  z.strictObject({ type: z.literal('webhook'), url: SecretRefSchema, signingSecret: SecretRefSchema }),
  z.strictObject({ type: z.literal('sns'), topicArn: z.string().check(z.regex(/^arn:aws[a-z-]*:sns:/, 'must be an SNS topic ARN')) }),
  /** Appends to `DATA_DIR/alerts.jsonl` (local runtime) — also useful in tests. */
  z.strictObject({ type: z.literal('local') }),
]);
export type Destination = z.infer<typeof DestinationSchema>;

// ---------------------------------------------------------------------------------------------
// Windows and scopes
// ---------------------------------------------------------------------------------------------

/**
 * The reporting period of a job, computed in the partner's (or schedule's) timezone and aligned to
 * whole days, so the same job on the same day always covers the same period (deterministic keys).
 * - `lastDays`/`lastHours`: ending at the start of the current day (days) or hour (hours);
 *   `includeCurrent: true` ends at "now" rounded up to the next day/hour instead.
 * - presets: the previous complete day/week (ISO, Monday first)/month, or week-to-date.
 */
export const WindowSchema = z.union([
  z.strictObject({ lastDays: z.int().check(z.gte(1), z.lte(3660)), includeCurrent: z.optional(z.boolean()) }),
  z.strictObject({ lastHours: z.int().check(z.gte(1), z.lte(24 * 93)), includeCurrent: z.optional(z.boolean()) }),
  z.enum(['previous-day', 'previous-week', 'previous-month', 'week-to-date']),
], { error: 'must be { lastDays: N }, { lastHours: N } or one of previous-day, previous-week, previous-month, week-to-date' });
export type WindowSpec = z.infer<typeof WindowSchema>;

/**
 * What the job is about. The scope adds the matching report filter field
 * (entry -> entryIdIn, category -> categoriesIdsIn, virtual-event -> virtualEventIdIn,
 * user -> userIds) with the subject id taken from the event (`{object.id}` by default).
 * `child-partner`: the subject is a child account's partner id (multi-account, seed §12.3); report
 * calls get `objectIds` = that id, which partner-level reports (19, 42, 60, 201) read as the partner.
 */
export const ScopeSchema = z.enum(['partner', 'entry', 'category', 'virtual-event', 'user', 'child-partner']);
export type Scope = z.infer<typeof ScopeSchema>;

/** Report filter fields (seed §13), values may hold `{placeholders}` from the event. */
export const ReportFilterSchema = z.record(
  z.string().check(z.regex(/^[a-zA-Z][a-zA-Z0-9]*$/, 'must be a KalturaEndUserReportInputFilter field name')),
  z.union([z.string(), z.number(), z.boolean()]),
);
export type ReportFilter = z.infer<typeof ReportFilterSchema>;

const ReportTypeSchema = z.union([z.int(), z.string().check(z.regex(/^\d+$/, 'must be a numeric report type id'))]);

const jobCommon = {
  name: name(),
  scope: z.optional(ScopeSchema),
  /** Subject id; default `{object.id}` for notifications. Placeholders allowed. */
  subject: z.optional(nonEmpty()),
  window: z.optional(WindowSchema),
};

// ---------------------------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------------------------

export const ComparisonSchema = z.union([
  z.strictObject({ op: z.enum(['<', '<=', '>', '>=']), value: z.number() }),
  /** Change versus the previous period of the same length, in percent (e.g. `{op: change, percent: -50}` = dropped by half or more). */
  z.strictObject({ op: z.literal('change'), percent: z.number() }),
]);
export type Comparison = z.infer<typeof ComparisonSchema>;

export const CheckJobSchema = z.strictObject({
  kind: z.literal('check'),
  ...jobCommon,
  reportType: ReportTypeSchema,
  filter: z.optional(ReportFilterSchema),
  /** Header name of the metric, e.g. `count_plays`. Never a column position. */
  metric: nonEmpty(),
  /** `total` reads getTotal; `table` sums the metric column of getTable. Default `total`. */
  from: z.optional(z.enum(['total', 'table'])),
  condition: ComparisonSchema,
  /** What to do when the report has no data at all: treat the metric as 0 (default) or report `no-data`. */
  onNoData: z.optional(z.enum(['zero', 'no-data'])),
  destinations: z.array(nonEmpty()).check(z.minLength(1)),
  /** While the condition stays crossed, repeat the alert this often. Default `24h`. */
  repeatInterval: z.optional(DurationSchema),
  severity: z.optional(z.enum(['info', 'warning', 'critical'])),
});
export type CheckJob = z.infer<typeof CheckJobSchema>;

/** KalturaUser fields the project can join into a table export (`user.list`, seed §15.4/§15.11). */
export const USER_ENRICH_FIELDS = ['fullName', 'firstName', 'lastName', 'email', 'company', 'title', 'country', 'screenName', 'externalId'] as const;
/** KalturaBaseEntry fields the project can join into a table export (`baseEntry.list`). */
export const ENTRY_ENRICH_FIELDS = ['name', 'description', 'tags', 'categories', 'categoriesIds', 'creatorId', 'userId', 'createdAt', 'duration', 'mediaType', 'referenceId'] as const;

/**
 * Metadata the project joins into each page of a table export, by id, as extra columns
 * `user.<field>` / `entry.<field>` (docs/exports.md, "Enrichment").
 */
export const EnrichSchema = z.strictObject({
  /** KalturaUser fields, looked up with `user.list` by the id in `userColumn`. */
  users: z.optional(z.array(z.enum(USER_ENRICH_FIELDS)).check(z.minLength(1))),
  /** The report column holding the user id. Default: `user_id` if the report has it, else `name` (reports 13, 34). */
  userColumn: z.optional(nonEmpty()),
  /** KalturaBaseEntry fields, looked up with `baseEntry.list` by the id in `entryColumn`. */
  entries: z.optional(z.array(z.enum(ENTRY_ENRICH_FIELDS)).check(z.minLength(1))),
  /** The report column holding the entry id. Default: `entry_id` if the report has it, else `object_id`. */
  entryColumn: z.optional(nonEmpty()),
});
export type Enrich = z.infer<typeof EnrichSchema>;

export const ExportSourceSchema = z.discriminatedUnion('type', [
  /** Paged report.getTable turned into CSV as it streams. */
  z.strictObject({
    type: z.literal('table'),
    reportType: ReportTypeSchema,
    filter: z.optional(ReportFilterSchema),
    order: z.optional(nonEmpty()),
    pageSize: z.optional(z.int().check(z.gte(1), z.lte(12000))),
    /** Stop after this many rows (guards against runaway exports). */
    maxRows: z.optional(z.int().check(z.gte(1))),
    /** User/entry metadata joined into every row by the project. */
    enrich: z.optional(EnrichSchema),
  }),
  /**
   * Accessibility coverage (seed §15.10): the entries without captions (eSearch: NOT caption EXISTS),
   * ranked by a report (default 38 TOP_CONTENT_CREATOR, `-count_plays`) over the window.
   */
  z.strictObject({
    type: z.literal('uncaptioned-entries'),
    reportType: z.optional(ReportTypeSchema),
    filter: z.optional(ReportFilterSchema),
    order: z.optional(nonEmpty()),
    /** At most this many uncaptioned entries are listed (eSearch pages of 500). Default 10000. */
    maxEntries: z.optional(z.int().check(z.gte(1), z.lte(10000))),
  }),
  /**
   * The summary a person reads (docs/exports.md, "Weekly summary"): the window's totals versus the
   * previous period of the same length, the daily trend and the top entries, as a CSV plus a
   * self-contained HTML page beside it, and the headline sent to `destinations`.
   */
  z.strictObject({
    type: z.literal('summary'),
    /** Default 38 (TOP_CONTENT_CREATOR): totals, daily graph and top entries of one report. */
    reportType: z.optional(ReportTypeSchema),
    filter: z.optional(ReportFilterSchema),
    /** Total metrics shown (header names). Default count_plays, sum_time_viewed, unique_known_users. */
    metrics: z.optional(z.array(nonEmpty()).check(z.minLength(1), z.maxLength(8))),
    /** The metric that ranks the top entries and draws the daily trend. Default the first metric. */
    topBy: z.optional(nonEmpty()),
    /** How many top entries. Default 10. */
    top: z.optional(z.int().check(z.gte(1), z.lte(100))),
    /** The column naming a top row. Default `entry_name`, else none (the id is shown). */
    nameColumn: z.optional(nonEmpty()),
    /** Alert destinations that get the headline (numbers and the page's key). */
    destinations: z.optional(z.array(nonEmpty())),
    /** Page title. Default `<schedule> summary`. */
    title: z.optional(nonEmpty()),
  }),
  /** report.getUrlForReportAsCsv, then the file is downloaded as a stream. */
  z.strictObject({
    type: z.literal('csv-url'),
    reportType: ReportTypeSchema,
    filter: z.optional(ReportFilterSchema),
    reportTitle: z.optional(nonEmpty()),
    /** Display names applied positionally by the server: totals section, then table section. */
    totalHeaders: z.optional(z.array(nonEmpty())),
    tableHeaders: z.array(nonEmpty()).check(z.minLength(1)),
  }),
  /** report.getCsvFromStringParams for the special reports (4021, 6000-6002, 3006-3008). */
  z.strictObject({
    type: z.literal('string-params'),
    reportId: z.int(),
    params: z.optional(z.record(nonEmpty(), z.union([z.string(), z.number()]))),
    excludedFields: z.optional(z.array(nonEmpty())),
  }),
]);
export type ExportSource = z.infer<typeof ExportSourceSchema>;

/** How the CSV a job writes is shaped (SPEC §5). */
export const CsvOptionsSchema = z.strictObject({
  /**
   * Text cells that would open as a spreadsheet formula (starting with `=`, `+`, `-`, `@`, tab or CR)
   * get a leading `'`; numbers are untouched. Default true. `false` for warehouse loads that want the
   * raw values (the manifest records the choice). A `csv-url` file is neutralised by Kaltura itself.
   */
  formulaGuard: z.optional(z.boolean()),
});
export type CsvOptions = z.infer<typeof CsvOptionsSchema>;

export const ExportJobSchema = z.strictObject({
  kind: z.literal('export'),
  ...jobCommon,
  source: ExportSourceSchema,
  csv: z.optional(CsvOptionsSchema),
});
export type ExportJob = z.infer<typeof ExportJobSchema>;

export const MicroserviceJobSchema = z.strictObject({
  kind: z.literal('microservice'),
  ...jobCommon,
  /** e.g. `registration`, `chatUserActivity`, `pollsActivity` (seed §10.2). */
  reportName: nonEmpty(),
  /** Placeholders allowed in string values; `{window.fromDay}`/`{window.toDay}` give YYYY-MM-DD. */
  reportParameters: z.optional(z.record(nonEmpty(), z.unknown())),
  /** KS privileges such as `virtualeventid:{object.id}`. */
  privileges: z.optional(z.array(nonEmpty())),
  /** First status poll after this long; then backoff. Default `60s`. */
  pollInterval: z.optional(DurationSchema),
  /** Give up (dead-letter) after this long. Default `2h`. */
  maxWait: z.optional(DurationSchema),
  csv: z.optional(CsvOptionsSchema),
});
export type MicroserviceJob = z.infer<typeof MicroserviceJobSchema>;

export const LiveHealthJobSchema = z.strictObject({
  kind: z.literal('live-health'),
  ...jobCommon,
  destinations: z.array(nonEmpty()).check(z.minLength(1)),
  /** Alert when a health beacon's maxSeverity reaches this (0 debug .. 4 critical). Default 3. */
  severityThreshold: z.optional(z.int().check(z.gte(0), z.lte(4))),
  /** Also alert when concurrent viewers fall below this. */
  minViewers: z.optional(z.int().check(z.gte(0))),
  /** Health poll interval. Default `10s` (seed §11.3); viewers are polled every 30 s. */
  pollInterval: z.optional(DurationSchema),
  /** Stop watching after this long even if the stream has not ended. Default `4h`. */
  maxDuration: z.optional(DurationSchema),
  repeatInterval: z.optional(DurationSchema),
});
export type LiveHealthJob = z.infer<typeof LiveHealthJobSchema>;

export const JobSpecSchema = z.discriminatedUnion('kind', [CheckJobSchema, ExportJobSchema, MicroserviceJobSchema, LiveHealthJobSchema]);
export type JobSpec = z.infer<typeof JobSpecSchema>;
export type JobKind = JobSpec['kind'];

// ---------------------------------------------------------------------------------------------
// Rules and schedules
// ---------------------------------------------------------------------------------------------

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const oneOrMany = <T extends z.ZodMiniType>(t: T) => z.union([t, z.array(t).check(z.minLength(1))]);

/** Matching is on what Kaltura sends; enum values compare as numbers or numeric strings alike. */
export const RuleMatchSchema = z.strictObject({
  /** Numbers (3) or names (`OBJECT_CHANGED`), see WIRE_FACTS §6.4. */
  eventType: z.optional(oneOrMany(z.union([z.int(), nonEmpty()]))),
  /** Numbers (1) or names (`ENTRY`, `LIVE_STREAM`), or plugin strings (`virtualEventEventNotifications.VirtualEvent`). */
  eventObjectType: z.optional(oneOrMany(z.union([z.int(), nonEmpty()]))),
  templateSystemName: z.optional(oneOrMany(nonEmpty())),
  /** Equality on fields of `object` (dot paths allowed), e.g. `{ status: 2 }`; an array means "any of". */
  object: z.optional(z.record(nonEmpty(), oneOrMany(scalar))),
});
export type RuleMatch = z.infer<typeof RuleMatchSchema>;

export const RuleSchema = z.strictObject({
  name: name(),
  description: z.optional(z.string()),
  when: RuleMatchSchema,
  jobs: z.array(JobSpecSchema).check(z.minLength(1)),
});
export type Rule = z.infer<typeof RuleSchema>;

export const ScheduleSchema = z.strictObject({
  name: name(),
  description: z.optional(z.string()),
  /** Five-field cron (`minute hour day-of-month month day-of-week`), e.g. `0 6 * * 1` = Mondays 06:00. */
  cron: z.string().check(z.regex(/^\s*\S+\s+\S+\s+\S+\s+\S+\s+\S+\s*$/, 'must be a five-field cron expression such as "0 6 * * 1"')),
  /** IANA timezone the cron and the window are computed in. */
  timezone: nonEmpty(),
  /** Default `previous-week`. */
  window: z.optional(WindowSchema),
  /** Subjects to fan out over (e.g. entry ids or category ids); without it each job runs once for the partner. */
  subjects: z.optional(z.array(nonEmpty())),
  jobs: z.array(JobSpecSchema).check(z.minLength(1)),
});
export type Schedule = z.infer<typeof ScheduleSchema>;

export const ReportingConfigSchema = z.strictObject({
  version: z.literal(1),
  kaltura: z._default(
    z.strictObject({
      /** IANA timezone of the partner: relative windows are whole days there. Default `UTC`. */
      timezone: z._default(nonEmpty(), 'UTC'),
      /** Base of links in alert messages. Default `https://kmc.kaltura.com`. */
      kmcUrl: z._default(z.url(), 'https://kmc.kaltura.com'),
    }),
    { timezone: 'UTC', kmcUrl: 'https://kmc.kaltura.com' },
  ),
  output: z._default(
    z.strictObject({
      /** S3 key prefix of every object the pipeline writes. Default `reports/`. */
      prefix: z._default(z.string(), 'reports/'),
    }),
    { prefix: 'reports/' },
  ),
  destinations: z._default(z.record(name(), DestinationSchema), {}),
  rules: z._default(z.array(RuleSchema), []),
  schedules: z._default(z.array(ScheduleSchema), []),
});
export type ReportingConfig = z.infer<typeof ReportingConfigSchema>;
