import { parseCommandArgs, parseInstant } from '../args.js';
import { connectKaltura, dataDirOf, loadConfiguration, openBlobStore, formatBytes, displayPath } from '../runtime.js';
import { EXIT_OK, UsageError, WorkFailedError } from '../errors.js';
import { createProgressReporter } from '../progress.js';
import type { Command } from './types.js';
import type { ExportJob, ExportSource, MicroserviceJob, ReportFilter, ReportingConfig, Scope, WindowSpec } from '../../shared/config/schema.js';
import type { JobMessage } from '../../shared/jobs/job-message.js';
import { isValidTimeZone } from '../../shared/jobs/window.js';
import { backOffSecondsOf } from '../../shared/errors/back-off.js';

/** Loaded when the command runs, so `--help` and usage errors answer at once. */
async function loadModules() {
  const [schema, create, jobMessage, window, schedules, adHoc, issues] = await Promise.all([
    import('../../shared/config/schema.js'),
    import('../../shared/jobs/create-job-message.js'),
    import('../../shared/jobs/job-message.js'),
    import('../../shared/jobs/window.js'),
    import('../../shared/schedules/run-schedule.js'),
    import('../../shared/exports/ad-hoc-export.js'),
    import('../../shared/validation/format-issues.js'),
  ]);
  return {
    ScopeSchema: schema.ScopeSchema,
    createJobMessage: create.createJobMessage,
    deterministicJobId: create.deterministicJobId,
    JobMessageSchema: jobMessage.JobMessageSchema,
    instantOf: window.instantOf,
    planScheduleJobs: schedules.planScheduleJobs,
    adHocExportMessage: adHoc.adHocExportMessage,
    AD_HOC_RULE: adHoc.AD_HOC_RULE,
    formatIssues: issues.formatIssues,
  };
}
type Modules = Awaited<ReturnType<typeof loadModules>>;

const options = {
  job: { type: 'string' },
  subject: { type: 'string' },
  at: { type: 'string' },
  'report-type': { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  window: { type: 'string' },
  filter: { type: 'string', multiple: true },
  order: { type: 'string' },
  name: { type: 'string' },
  scope: { type: 'string' },
  timezone: { type: 'string' },
  'no-formula-guard': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
} as const;

const HELP = `Usage:
  kreports export NAME [--job JOB] [--subject ID] [--at ISO-TIME]      a configured rule's or schedule's export job
  kreports export --report-type N (--from DATE --to DATE | --window W) [--filter k=v]... [--subject ID]
                  [--scope entry|category|virtual-event|user|partner] [--order -count_plays] [--name NAME]
                                                                       an ad-hoc report.getTable export

Runs one export now, in this process, and writes the CSV and its manifest where the pipeline would:
DATA_DIR/bucket/<prefix><rule>/<job>/<subject>/<period>.csv (or S3 when BUCKET_NAME is set).
Kaltura: KALTURA_SERVICE_URL and credentials, or the built-in simulator when unset.

Options:
  NAME            rule or schedule name from the configuration (REPORTING_CONFIG)
  --job JOB       which export job of NAME (needed when it has several)
  --subject ID    the subject (entry id for entry-scoped jobs; a schedule's subject)
  --at ISO-TIME   compute the window as if at this time (default now)
  --report-type N ad hoc: the report type (e.g. 1 = TOP_CONTENT)
  --from DATE     ad hoc: window start, YYYY-MM-DD (midnight in --timezone) or an ISO time
  --to DATE       ad hoc: window end (exclusive), same forms
  --window W      ad hoc: previous-day, previous-week, previous-month, week-to-date, last-N-days, last-N-hours
  --filter k=v    ad hoc: report filter field (repeatable), e.g. --filter countryIn=US
  --timezone TZ   ad hoc: IANA timezone (default: the configuration's kaltura.timezone)
  --no-formula-guard
                  write text cells exactly as Kaltura sent them: no leading ' before cells that would
                  open as spreadsheet formulas (= + - @ tab CR). For warehouse loads; the manifest
                  says formulaGuard: false. Default: the job's csv.formulaGuard (on), for ad-hoc: on
  -q, --quiet     no progress output
  --json          print the result (keys, rows, bytes, sha256) as JSON on stdout
  -h, --help      show this help

Progress (rows, pages, bytes) goes to stderr: a live line on a terminal, plain lines otherwise.
Exit codes: 0 written, 1 the export failed, 2 usage or configuration error.`;

function parseWindow(value: string): WindowSpec {
  if (['previous-day', 'previous-week', 'previous-month', 'week-to-date'].includes(value)) return value as WindowSpec;
  const m = /^last-(\d+)-(days|hours)$/.exec(value);
  if (m) return m[2] === 'days' ? { lastDays: Number(m[1]) } : { lastHours: Number(m[1]) };
  throw new UsageError(`--window must be previous-day, previous-week, previous-month, week-to-date, last-N-days or last-N-hours (got '${value}')`);
}

function parseBoundary(m: Modules, flag: string, value: string, timezone: string): number {
  // A calendar day that exists, alone or starting an ISO time: instantOf and Date.parse would roll
  // 2026-13-45 or 2026-02-30T00:00:00Z over into another day without a word.
  const day = /^(\d{4})-(\d{2})-(\d{2})(T|$)/.exec(value);
  if (day) {
    const [year, month, date] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const check = new Date(0);
    check.setUTCFullYear(year, month - 1, date); // not Date.UTC, which reads years 0-99 as 1900-1999
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) {
      throw new UsageError(`--${flag} is not a calendar day: '${value}' (YYYY-MM-DD, or an ISO 8601 time)`);
    }
    if (day[4] === '') return m.instantOf({ year, month, day: date, hour: 0, minute: 0 }, timezone);
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`--${flag} must be a date YYYY-MM-DD or an ISO 8601 time (got '${value}')`);
  return ms;
}

function parseFilters(values: ReadonlyArray<string> | undefined): ReportFilter {
  const filter: Record<string, string> = {};
  for (const item of values ?? []) {
    const eq = item.indexOf('=');
    const key = item.slice(0, eq);
    if (eq <= 0 || !/^[a-zA-Z][a-zA-Z0-9]*$/.test(key)) throw new UsageError(`--filter must be field=value with a report filter field name, e.g. countryIn=US (got '${item}')`);
    filter[key] = item.slice(eq + 1);
  }
  return filter;
}

function configuredExport(m: Modules, config: ReportingConfig, name: string, values: { job?: string; subject?: string }, at: Date, partnerId: number): JobMessage {
  const rule = config.rules.find((r) => r.name === name);
  const schedule = config.schedules.find((s) => s.name === name);
  if (!rule && !schedule) {
    const known = [...config.rules.map((r) => r.name), ...config.schedules.map((s) => s.name)];
    throw new UsageError(`no rule or schedule named '${name}' in the configuration; defined: ${known.join(', ') || 'none'}`);
  }
  // Reports Microservice jobs write CSVs too: they run here as well (polling in process).
  const jobs = (rule ?? schedule)!.jobs.filter((j): j is ExportJob | MicroserviceJob => j.kind === 'export' || j.kind === 'microservice');
  if (jobs.length === 0) throw new UsageError(`'${name}' has no export job`);
  const found = values.job ? jobs.find((j) => j.name === values.job) : jobs.length === 1 ? jobs[0] : undefined;
  if (!found && values.job) throw new UsageError(`'${name}' has no export job named '${values.job}'; its export jobs: ${jobs.map((j) => j.name).join(', ')}`);
  if (!found) throw new UsageError(`'${name}' has several export jobs (${jobs.map((j) => j.name).join(', ')}); choose one with --job`);
  const spec: ExportJob | MicroserviceJob = found;

  if (schedule) {
    const planned = m.planScheduleJobs(config, schedule.name, at, { partnerId }).filter((m) => m.spec.name === spec!.name);
    const chosen = values.subject ? planned.find((m) => m.subject.id === values.subject) : planned[0];
    if (chosen) return chosen;
    if (!values.subject) throw new UsageError(`schedule '${name}' produced no job named '${spec.name}'`);
    // A subject the schedule does not list: run the same job for it.
    return m.createJobMessage(spec, { rule: schedule.name, trigger: { type: 'manual', requestedAt: at.toISOString() }, at, timezone: schedule.timezone, partnerId, defaultWindow: schedule.window ?? 'previous-week', defaultScope: 'entry', subjectId: values.subject });
  }
  const scope: Scope = spec.scope ?? (values.subject ? 'entry' : 'partner');
  if (scope !== 'partner' && !values.subject && !spec.subject) throw new UsageError(`rule '${name}' job '${spec.name}' runs per ${scope}: give its id with --subject (e.g. --subject 1_demo)`);
  return m.createJobMessage(spec, {
    rule: rule!.name,
    trigger: { type: 'manual', requestedAt: at.toISOString() },
    at,
    timezone: config.kaltura.timezone,
    partnerId,
    defaultWindow: { lastDays: 30 },
    defaultScope: scope,
    notification: { object: { id: values.subject ?? String(partnerId) } },
    ...(values.subject ? { subjectId: values.subject } : {}),
  });
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'run one export now (a configured job, or an ad-hoc report), with progress',
  help: HELP,
  async run(args, io) {
    const { values, positionals, help } = parseCommandArgs('export', args, options, { max: 1, names: 'NAME' });
    if (help) return io.out(this.help), EXIT_OK;
    const at = parseInstant('at', values.at, new Date());
    const name = positionals[0];
    const adHoc = values['report-type'] !== undefined;
    if (!name && !adHoc) throw new UsageError('give a rule or schedule NAME, or --report-type for an ad-hoc export');
    if (name && adHoc) throw new UsageError('give either NAME or --report-type, not both');
    if (!adHoc) for (const flag of ['from', 'to', 'window', 'filter', 'order', 'name', 'scope', 'timezone'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} is for ad-hoc exports (with --report-type)`);

    const m = await loadModules();
    const { config } = await loadConfiguration(io.env, io.cwd);
    const kaltura = await connectKaltura(io.env);
    try {
      const partnerId = kaltura.api.partnerId;
      let message: JobMessage;
      if (name) message = configuredExport(m, config, name, values, at, partnerId);
      else {
        const reportType = values['report-type']!;
        if (!/^\d+$/.test(reportType)) throw new UsageError(`--report-type must be a numeric report type such as 1 (got '${reportType}')`);
        const timezone = values.timezone ?? config.kaltura.timezone;
        if (!isValidTimeZone(timezone)) throw new UsageError(`--timezone must be an IANA timezone such as Europe/Paris (got '${timezone}')`);
        const scopeParsed = values.scope === undefined ? undefined : m.ScopeSchema.safeParse(values.scope);
        if (scopeParsed && !scopeParsed.success) throw new UsageError(`--scope must be one of entry, category, virtual-event, user, partner (got '${values.scope}')`);
        const jobName = values.name ?? `report-${reportType}`;
        if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(jobName)) throw new UsageError('--name must be lowercase letters, digits and dashes');
        const source: ExportSource = { type: 'table', reportType: Number(reportType), filter: parseFilters(values.filter), ...(values.order ? { order: values.order } : {}) };
        if ((values.from === undefined) !== (values.to === undefined)) throw new UsageError('--from and --to go together');
        if (values.from !== undefined && values.window !== undefined) throw new UsageError('give either --from/--to or --window');
        if (values.from === undefined && values.window === undefined) throw new UsageError('an ad-hoc export needs a window: --from DATE --to DATE, or --window previous-week');
        const base = m.adHocExportMessage({
          source,
          ...(values['no-formula-guard'] ? { csv: { formulaGuard: false } } : {}),
          window: values.window ? parseWindow(values.window) : 'previous-day',
          timezone,
          partnerId,
          at,
          name: jobName,
          ...(scopeParsed?.success ? { scope: scopeParsed.data } : {}),
          ...(values.subject ? { subjectId: values.subject } : {}),
        });
        if (values.from !== undefined) {
          const fromMs = parseBoundary(m, 'from', values.from, timezone);
          const toMs = parseBoundary(m, 'to', values.to!, timezone);
          if (toMs <= fromMs) throw new UsageError('--to must be after --from');
          const fmt = (ms: number, v: string) => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? v : new Date(ms).toISOString().replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z'));
          const label = `${fmt(fromMs, values.from)}_${fmt(toMs, values.to!)}`;
          const window = { from: Math.floor(fromMs / 1000), to: Math.floor(toMs / 1000), timezone, label };
          message = { ...base, window, jobId: m.deterministicJobId(m.AD_HOC_RULE, jobName, base.subject.id, label) };
        } else message = base;
        const checked = m.JobMessageSchema.safeParse(message);
        if (!checked.success) throw new UsageError(m.formatIssues('export', checked.error.issues).join('; '));
      }

      if (name && values['no-formula-guard']) {
        if (message.spec.kind === 'export' && message.spec.source.type === 'csv-url') throw new UsageError(`--no-formula-guard cannot apply to '${message.spec.name}': a csv-url file is written by Kaltura, which neutralises formula cells itself`);
        if (message.spec.kind === 'export' || message.spec.kind === 'microservice') message = { ...message, spec: { ...message.spec, csv: { ...message.spec.csv, formulaGuard: false } } };
      }
      const dataDir = dataDirOf(io.env, io.cwd);
      const { store, where } = await openBlobStore(io.env, dataDir);
      const { runExportNow } = await import('../../shared/exports/run-export.js');
      if (message.spec.kind === 'microservice') return await runMicroservice(message, { config, kaltura, store, where: displayPath(where, io.cwd), dataDir, io, json: Boolean(values.json), quiet: Boolean(values.quiet) });
      const label = `${message.rule}/${message.spec.name}/${message.subject.id} ${message.window.label}`;
      const progress = createProgressReporter(io.stderr, label, { quiet: Boolean(values.quiet) });
      if (!values.quiet && !values.json) io.err(`exporting ${label}${kaltura.simulator ? ' (built-in simulator)' : ''}`);
      let exported;
      try {
        exported = await withExportAttempts(
          () => runExportNow({ api: kaltura.api, blobStore: store, prefix: config.output.prefix, message, onProgress: (p) => progress.update(p) }),
          (note) => {
            if (!values.quiet) io.err(note);
          },
        );
      } finally {
        progress.done();
      }
      const whereShown = displayPath(where, io.cwd);
      if (values.json) {
        io.out(JSON.stringify({ ok: true, jobId: message.jobId, key: exported.dataKey, manifestKey: exported.manifestKey, location: whereShown, rows: exported.manifest.rows, bytes: exported.manifest.bytes, sha256: exported.manifest.sha256, formulaGuard: exported.manifest.formulaGuard, window: message.window }));
      } else {
        io.out(`wrote ${whereShown}${exported.dataKey} (${exported.manifest.rows.toLocaleString('en-US')} rows, ${formatBytes(exported.manifest.bytes)}, sha256 ${exported.manifest.sha256.slice(0, 12)}…)`);
        io.out(`manifest ${whereShown}${exported.manifestKey}`);
      }
      return EXIT_OK;
    } finally {
      await kaltura.close();
    }
  },
};

/** Whole-export attempts of `kreports export` (the queue's redelivery, in a worker). */
export const EXPORT_ATTEMPTS = 3;
/** How long `kreports export` waits in all for Kaltura to stop shedding load before it gives up. */
export const MAX_CLI_BACK_OFF_MS = 300_000;
const EXPORT_RETRY_BASE_MS = 500;

/**
 * Runs the export again after a failure a retry can fix (a download cut short, Kaltura's null CSV URL,
 * a server error that outlasted the client's own retries), as the export queue would redeliver the job:
 * at most EXPORT_ATTEMPTS in all. A permanent failure (credentials, a bad report, the 12,000-row limit)
 * is not repeated. Nothing half-written is left either way: the CSV is stored atomically.
 */
async function withExportAttempts<T>(run: () => Promise<T>, note: (line: string) => void): Promise<T> {
  let waitedForKaltura = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      // Kaltura shedding load (429, 503 + Retry-After) for longer than the client waits in-process: a worker
      // defers the job through its queue; the command waits as asked, without spending an attempt, up to a limit.
      const backOff = backOffSecondsOf(error);
      if (backOff !== undefined && waitedForKaltura + backOff * 1000 <= MAX_CLI_BACK_OFF_MS) {
        const wait = Math.max(1000, backOff * 1000);
        waitedForKaltura += wait;
        note(`Kaltura asked to back off (${(error as Error).message.split('\n')[0]}); waiting ${Math.round(wait / 1000)} s, as it asked`);
        await new Promise((resolve) => setTimeout(resolve, wait));
        attempt--;
        continue;
      }
      const retryable = (error as { retryable?: unknown })?.retryable === true;
      if (!retryable || attempt >= EXPORT_ATTEMPTS) {
        if (retryable && error instanceof Error) throw new WorkFailedError(`${error.message.split('\n')[0]} (the export was attempted ${attempt} times)`, { cause: error });
        throw error;
      }
      const delay = EXPORT_RETRY_BASE_MS * 2 ** (attempt - 1);
      note(`attempt ${attempt} of ${EXPORT_ATTEMPTS} failed: ${(error as Error).message.split('\n')[0]}; trying again in ${delay / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** A Reports Microservice job: generate, poll (re-enqueued with delays, as in the worker), download. */
async function runMicroservice(
  message: JobMessage,
  ctx: { config: ReportingConfig; kaltura: Awaited<ReturnType<typeof connectKaltura>>; store: Awaited<ReturnType<typeof openBlobStore>>['store']; where: string; dataDir: string; io: Parameters<Command['run']>[1]; json: boolean; quiet: boolean },
): Promise<number> {
  const { runJobsInProcess } = await import('../in-process-runner.js');
  const { outputKeys } = await import('../../shared/exports/output-keys.js');
  const label = `${message.rule}/${message.spec.name}/${message.subject.id} ${message.window.label}`;
  if (!ctx.quiet && !ctx.json) ctx.io.err(`running Reports Microservice job ${label}${ctx.kaltura.simulator ? ' (built-in simulator)' : ''}; polling until it completes`);
  const run = await runJobsInProcess({
    config: ctx.config,
    api: ctx.kaltura.api,
    blobStore: ctx.store,
    dataDir: ctx.dataDir,
    env: ctx.io.env,
    enqueue: async (queue) => {
      await queue.send('microservice', [message]);
      return [message];
    },
  });
  const failure = run.failures[0];
  if (failure) throw new WorkFailedError(`${failure.reason} (dead letter microservice/${failure.id}; kreports replay --kind microservice --id ${failure.id})`);
  const keys = outputKeys(ctx.config.output.prefix, message);
  const manifest = JSON.parse((await ctx.store.getBytes(keys.manifest))?.toString('utf8') ?? '{}') as { rows?: number; bytes?: number; sha256?: string };
  if (ctx.json) ctx.io.out(JSON.stringify({ ok: true, jobId: message.jobId, key: keys.data, manifestKey: keys.manifest, location: ctx.where, rows: manifest.rows, bytes: manifest.bytes, sha256: manifest.sha256, window: message.window }));
  else {
    ctx.io.out(`wrote ${ctx.where}${keys.data} (${(manifest.rows ?? 0).toLocaleString('en-US')} rows, ${formatBytes(manifest.bytes ?? 0)})`);
    ctx.io.out(`manifest ${ctx.where}${keys.manifest}`);
  }
  return EXIT_OK;
}
