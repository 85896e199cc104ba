import { parseCommandArgs, parseInstant } from '../args.js';
import { connectKaltura, dataDirOf, displayPath, loadConfiguration, openBlobStore } from '../runtime.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../errors.js';
import type { Command } from './types.js';
import type { JobMessage } from '../../shared/jobs/job-message.js';

const options = { at: { type: 'string' }, json: { type: 'boolean' } } as const;

const HELP = `Usage:
  kreports schedule run NAME [--at ISO-TIME] [--json]   run a configured schedule now, or as if at that time (backfill)
  kreports schedule list [--json]                       the configured schedules and their next run

"schedule run" plans the schedule's jobs exactly as the scheduler does when it fires (window in the
schedule's timezone; --at picks the period, e.g. --at 2026-11-23T06:00:00-05:00 exports the week
before that Monday) and runs them now, in this process. Files land where the pipeline writes them:
DATA_DIR/bucket/<prefix><schedule>/<job>/<subject>/<period>.csv (or S3 when BUCKET_NAME is set).
Running a period again replaces its files. Jobs that fail permanently are kept in
DATA_DIR/dead-letters/ (see kreports replay).

Options:
  --at ISO-TIME  as if the schedule fired at this time (default now)
  --json         print the result as JSON on stdout
  -h, --help     show this help

Exit codes: 0 every job succeeded, 1 some job failed, 2 usage or configuration error.`;

/** The summary page of a `summary` export (the key beside its CSV). */
function pageOf(outputKeys: (prefix: string, m: JobMessage, extension?: string) => { data: string }, message: JobMessage, prefix: string): string | undefined {
  return message.spec.kind === 'export' && message.spec.source.type === 'summary' ? outputKeys(prefix, message, 'summary.html').data : undefined;
}

function describe(outputKeys: (prefix: string, m: JobMessage, extension?: string) => { data: string }, message: JobMessage, prefix: string): string {
  const page = pageOf(outputKeys, message, prefix);
  const target = message.spec.kind === 'export' ? ` -> ${outputKeys(prefix, message).data}${page ? ` (page ${page})` : ''}` : '';
  return `${message.spec.kind} ${message.spec.name} (${message.subject.scope} ${message.subject.id}, ${message.window.label})${target}`;
}

export const scheduleCommand: Command = {
  name: 'schedule',
  summary: 'run a configured schedule now or as of a past time (backfill); list schedules',
  help: HELP,
  async run(args, io) {
    const { values, positionals, help } = parseCommandArgs('schedule', args, options, { min: 1, max: 2, names: 'subcommand (run NAME or list)' });
    if (help) return io.out(this.help), EXIT_OK;
    const [sub, name] = positionals;
    const { config } = await loadConfiguration(io.env, io.cwd);
    const { outputKeys } = await import('../../shared/exports/output-keys.js');
    if (sub === 'list') {
      const { nextFireTime } = await import('../../shared/schedules/cron.js');
      if (name) throw new UsageError(`unexpected argument '${name}'. Run: kreports schedule --help`);
      const rows = config.schedules.map((s) => ({ name: s.name, cron: s.cron, timezone: s.timezone, window: s.window ?? 'previous-week', jobs: s.jobs.map((j) => j.name), next: nextFireTime(s.cron, new Date(), s.timezone).toISOString() }));
      if (values.json) io.out(JSON.stringify(rows));
      else for (const r of rows) io.out(`${r.name}: "${r.cron}" ${r.timezone}, window ${typeof r.window === 'string' ? r.window : JSON.stringify(r.window)}, jobs ${r.jobs.join(', ')}; next ${r.next}`);
      return EXIT_OK;
    }
    if (sub !== 'run') throw new UsageError(`unknown subcommand '${sub}'; use: kreports schedule run NAME, or kreports schedule list`);
    if (!name) throw new UsageError('missing schedule NAME. Run: kreports schedule --help');
    const schedule = config.schedules.find((s) => s.name === name);
    if (!schedule) throw new UsageError(`no schedule named '${name}'; defined: ${config.schedules.map((s) => s.name).join(', ') || 'none'}`);
    const at = parseInstant('at', values.at, new Date());

    const dataDir = dataDirOf(io.env, io.cwd);
    const kaltura = await connectKaltura(io.env);
    try {
      const { store, where } = await openBlobStore(io.env, dataDir);
      const { runSchedule } = await import('../../shared/schedules/run-schedule.js');
      const { runJobsInProcess } = await import('../in-process-runner.js');
      let planned: ReadonlyArray<JobMessage> = [];
      if (!values.json) io.err(`running schedule ${name} as of ${at.toISOString()}${kaltura.simulator ? ' (built-in simulator)' : ''}`);
      const run = await runJobsInProcess({
        config,
        api: kaltura.api,
        blobStore: store,
        dataDir,
        env: io.env,
        enqueue: async (queue) => {
          planned = (await runSchedule({ config, queue, partnerId: kaltura.api.partnerId }, name, at)).messages;
          return planned;
        },
      });
      const failedJobIds = new Map<string, string>();
      for (const f of run.failures) {
        try {
          failedJobIds.set((JSON.parse(f.body) as { jobId: string }).jobId, `${f.reason} (dead letter ${f.kind}/${f.id})`);
        } catch {
          /* an unreadable body cannot be one of ours */
        }
      }
      const whereShown = displayPath(where, io.cwd);
      const results = planned.map((m) => ({
        jobId: m.jobId,
        kind: m.spec.kind,
        job: m.spec.name,
        subject: m.subject.id,
        window: m.window.label,
        ok: !failedJobIds.has(m.jobId),
        ...(m.spec.kind === 'export' ? { key: outputKeys(config.output.prefix, m).data } : {}),
        ...(pageOf(outputKeys, m, config.output.prefix) ? { page: pageOf(outputKeys, m, config.output.prefix) } : {}),
        ...(failedJobIds.has(m.jobId) ? { error: failedJobIds.get(m.jobId) } : {}),
      }));
      if (values.json) io.out(JSON.stringify({ schedule: name, at: at.toISOString(), location: whereShown, jobs: results }));
      else {
        for (const m of planned) {
          const error = failedJobIds.get(m.jobId);
          if (error) io.err(`failed ${describe(outputKeys, m, config.output.prefix)}: ${error}`);
          else io.out(`ok ${describe(outputKeys, m, config.output.prefix)}`);
        }
        io.out(`${results.filter((r) => r.ok).length}/${results.length} job(s) done; files under ${whereShown}`);
      }
      return results.every((r) => r.ok) ? EXIT_OK : EXIT_FAILED;
    } finally {
      await kaltura.close();
    }
  },
};
