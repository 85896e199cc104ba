import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCommandArgs } from '../args.js';
import { dataDirOf, loadConfiguration, readLocalStackInfo } from '../runtime.js';
import { EXIT_FAILED, EXIT_OK, UsageError, WorkFailedError } from '../errors.js';
import type { Command } from './types.js';
import type { JobKind } from '../../shared/jobs/job-message.js';

/** Kept here (not imported) so --help loads nothing heavy; the same list as JOB_KINDS. */
const JOB_KINDS: ReadonlyArray<JobKind> = ['check', 'export', 'microservice', 'live-health'];

const options = {
  list: { type: 'boolean' },
  kind: { type: 'string' },
  id: { type: 'string', multiple: true },
  all: { type: 'boolean' },
  notification: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

const HELP = `Usage:
  kreports replay --list [--kind KIND] [--json]          list dead letters (id, kind, reason)
  kreports replay --kind KIND --id ID [--id ID]...       re-queue dead letters
  kreports replay --kind KIND --all                      re-queue every dead letter of a kind
  kreports replay --notification EVENT_NOTIFICATION_JOB_ID
                                                         re-run an archived notification through the rules

Dead letters are jobs that failed permanently (DATA_DIR/dead-letters/<kind>/<id>.json, with their reason).
Re-queued jobs go to the local queues (DATA_DIR/queues): a running "kreports start" picks them up at once,
otherwise they run at its next start. A replayed dead letter is removed once it is queued again.
Archived notifications are the raw bodies the receiver kept (DATA_DIR/bucket/archive/notifications/);
replaying one skips the duplicate check on purpose and queues its jobs with the current configuration.

KIND is one of: ${JOB_KINDS.join(', ')}.

Options:
  --json      machine-readable output on stdout
  -h, --help  show this help

Exit codes: 0 done, 1 nothing found to replay or queueing failed, 2 usage error.`;

async function findArchived(bucketRoot: string, eventId: string): Promise<string | undefined> {
  const base = join(bucketRoot, 'archive', 'notifications');
  const walk = async (dir: string, depth: number): Promise<string | undefined> => {
    let names: string[];
    try {
      names = (await readdir(dir)).sort().reverse();
    } catch {
      return undefined;
    }
    if (depth === 3) return names.includes(`${eventId}.json`) ? join(dir, `${eventId}.json`) : undefined;
    for (const name of names) {
      const found = await walk(join(dir, name), depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return walk(base, 0);
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 're-queue dead letters or archived notifications',
  help: HELP,
  async run(args, io) {
    const { values, help } = parseCommandArgs('replay', args, options);
    if (help) return io.out(this.help), EXIT_OK;
    const kind = values.kind as JobKind | undefined;
    if (kind !== undefined && !JOB_KINDS.includes(kind)) throw new UsageError(`--kind must be one of ${JOB_KINDS.join(', ')} (got '${values.kind}')`);
    const modes = [values.list, values.id !== undefined || values.all, values.notification !== undefined].filter(Boolean).length;
    if (modes !== 1) throw new UsageError('choose one: --list, --kind KIND --id ID (or --all), or --notification ID. Run: kreports replay --help');

    const dataDir = dataDirOf(io.env, io.cwd);
    const { LocalDeadLetterSink } = await import('../../local/local-dead-letter-sink.js');
    const { LocalJobQueue } = await import('../../local/local-job-queue.js');
    const { createCommandLogger } = await import('../../local/local-logger.js');
    const sink = new LocalDeadLetterSink(dataDir);
    const running = readLocalStackInfo(dataDir);
    const where = running ? `the running kreports start (pid ${running.pid}) picks them up now` : 'they run at the next kreports start';

    if (values.list) {
      const letters = await sink.list(kind);
      if (values.json) io.out(JSON.stringify(letters.map(({ body, ...rest }) => ({ ...rest, bodyBytes: Buffer.byteLength(body) }))));
      else if (letters.length === 0) io.out(`no dead letters${kind ? ` of kind ${kind}` : ''} in ${join(dataDir, 'dead-letters')}`);
      else for (const l of letters) io.out(`${l.kind} ${l.id}  ${l.failedAt}  attempts ${l.attempts}  ${l.errorName}: ${l.reason}`);
      return EXIT_OK;
    }

    const logger = createCommandLogger(io.env);
    const queue = new LocalJobQueue({ dataDir, deadLetters: sink, logger });

    if (values.notification !== undefined) {
      const { config } = await loadConfiguration(io.env, io.cwd);
      const { createReceiver } = await import('../../shared/webhook/receiver.js');
      const { createFileIdempotencyStore } = await import('../../shared/idempotency/file-idempotency-store.js');
      const { createFileBlobStore } = await import('../../shared/storage/file-blob-store.js');
      const bucketRoot = join(dataDir, 'bucket');
      const receiver = createReceiver({
        config,
        partnerId: Number(io.env.KALTURA_PARTNER_ID) || running?.partnerId || 4242,
        secrets: async () => [], // replay never verifies: the archive holds bodies verified on arrival
        queue,
        archive: createFileBlobStore({ root: bucketRoot }),
        idempotency: createFileIdempotencyStore({ directory: join(dataDir, 'idempotency') }),
        logger,
      });
      const results = [];
      for (const eventId of values.notification) {
        if (!/^\d{1,20}$/.test(eventId)) throw new UsageError(`--notification takes an eventNotificationJobId (a number), got '${eventId}'`);
        const file = await findArchived(bucketRoot, eventId);
        if (!file) throw new WorkFailedError(`no archived notification ${eventId} under ${join(bucketRoot, 'archive', 'notifications')}`);
        const match = await receiver.replay(await readFile(file));
        results.push({ eventNotificationJobId: eventId, rules: match.matchedRules, jobs: match.messages.map((m) => ({ kind: m.spec.kind, job: m.spec.name, jobId: m.jobId })) });
        if (!values.json) io.out(`notification ${eventId}: ${match.messages.length} job(s) queued from rule(s) ${match.matchedRules.join(', ') || '(none matched)'}; ${where}`);
      }
      if (values.json) io.out(JSON.stringify({ replayed: results }));
      return EXIT_OK;
    }

    if (!kind) throw new UsageError('--kind is required with --id or --all');
    const letters = values.all ? await sink.list(kind) : await Promise.all((values.id ?? []).map(async (id) => (await sink.get(kind, id)) ?? id));
    const missing = letters.filter((l): l is string => typeof l === 'string');
    if (missing.length > 0) throw new WorkFailedError(`no dead letter ${missing.join(', ')} of kind ${kind} (see kreports replay --list)`);
    const found = letters.filter((l) => typeof l !== 'string');
    if (found.length === 0) {
      io.err(`kreports replay: no dead letters of kind ${kind}`);
      return EXIT_FAILED;
    }
    // A job the receiver could not build has no job message to re-queue: it is re-created by
    // replaying its notification once the rule is fixed.
    const unbuildable = found.flatMap((l) => {
      try {
        const body = JSON.parse(l.body) as { type?: unknown; eventNotificationJobId?: unknown };
        return body.type === 'unbuildable-job' ? [{ id: l.id, eventId: String(body.eventNotificationJobId) }] : [];
      } catch {
        return [];
      }
    });
    if (unbuildable.length > 0) {
      throw new WorkFailedError(
        `dead letter(s) ${unbuildable.map((u) => u.id).join(', ')} are jobs that could not be built from their notification; fix the rule, then run kreports replay --notification ${[...new Set(unbuildable.map((u) => u.eventId))].join(' --notification ')} and delete those files under DATA_DIR/dead-letters/${kind}/`,
      );
    }
    const replayed: string[] = [];
    for (const letter of found) {
      await queue.sendRaw(kind, [letter.body]);
      await sink.remove(kind, letter.id);
      replayed.push(letter.id);
    }
    if (values.json) io.out(JSON.stringify({ kind, replayed }));
    else io.out(`re-queued ${replayed.length} ${kind} job(s): ${replayed.join(', ')}; ${where}`);
    return EXIT_OK;
  },
};
