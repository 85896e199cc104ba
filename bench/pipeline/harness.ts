/**
 * The whole pipeline under a burst (`npm run bench -- pipeline`, test/e2e/pipeline-burst.test.ts):
 *
 *   this process:   the Kaltura simulator (counts in-flight requests per partner) + the orchestration
 *   child process:  `kreports start` (the real local stack), SIGKILLed and restarted during the burst
 *   child process:  the load (bench/pipeline/load.ts): signed notifications, duplicates sent concurrently
 *
 * The accounting is computed afterwards from what the stack left in DATA_DIR — the archive, the CSVs and
 * manifests, the check results, alerts.jsonl, the dead letters and the queues — and from the load's own
 * record of what was acknowledged, not from counters inside the stack.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { loadConfigFile } from '../../shared/config/load-config.js';
import type { ReportingConfig } from '../../shared/config/schema.js';
import { ArchivedNotificationSchema } from '../../shared/webhook/notification-archive.js';
import { parseKalturaHttpNotification } from '../../shared/webhook/notification-schema.js';
import { jobsForNotification } from '../../shared/webhook/rule-matching.js';
import { checkResultKey } from '../../shared/checks/run-check.js';
import { stateFileName } from '../../shared/state/file-state-store.js';
import { ROOT, startStack, tempDir, type RunningStack } from '../../test/cli/helpers.js';
import { planBurst, type LoadPlan, type LoadResult, type PlannedNotification } from './plan.js';

export const PIPELINE_CONFIG = resolve(import.meta.dirname, 'pipeline.config.yaml');
const LOAD_SCRIPT = resolve(import.meta.dirname, 'load.ts');

export interface BurstOptions {
  /** Notifications POSTed (duplicates included). */
  readonly total: number;
  /** SIGKILL + restart of the stack during the burst, spread evenly over it. */
  readonly restarts: number;
  /** KALTURA_MAX_CONCURRENT_REQUESTS of the stack: the per-partner budget. */
  readonly budget: number;
  /** POST sequences in flight in the load process. Default 24. */
  readonly loadConcurrency?: number;
  /** How long to wait for every job to finish after the burst. Default 10 min. */
  readonly drainTimeoutMs?: number;
  readonly log?: (line: string) => void;
  /** Extra environment for the stack. */
  readonly env?: Record<string, string>;
  /**
   * Added to every Kaltura `report.*` answer (the real server takes hundreds of ms; the simulator
   * answers in about one): without it the workers never need more than one request in flight and the
   * budget is not exercised. Default 0.
   */
  readonly kalturaLatencyMs?: number;
}

export interface BurstAccounting {
  readonly posts: number;
  readonly postsAccepted: number;
  /** Distinct notifications (event ids) acknowledged with 200. */
  readonly accepted: number;
  readonly archived: number;
  /** Acknowledged but not archived (must be 0). */
  readonly lost: number;
  /** Sent but never acknowledged before the load's deadline (must be 0). */
  readonly notAccepted: number;
  /** Jobs the archived notifications create under the configuration (the receiver's own rule matching). */
  readonly jobsCreated: number;
  /** The same, from the plan: accepted export and check notifications. */
  readonly jobsExpected: number;
  readonly jobsDone: number;
  readonly deadLettered: number;
  /** Created jobs neither done nor dead-lettered (must be 0). */
  readonly jobsMissing: number;
  /** Messages still in DATA_DIR/queues after the drain (must be 0). */
  readonly leftInQueues: number;
  readonly csvWritten: number;
  readonly distinctExportJobs: number;
  readonly alertsSent: number;
  readonly distinctFiringSubjects: number;
  /** Accepted `quiet` check notifications: the subjects that should fire. */
  readonly expectedFiringSubjects: number;
  /** Alerts beyond one per firing subject, CSVs beyond one per export job, done and dead at once (must be 0). */
  readonly duplicateEffects: number;
  readonly kalturaPeakInFlight: number;
  readonly kalturaBudget: number;
  readonly kalturaRequests: number;
  /** HTTP 200 answers that said "duplicate" (the receiver's idempotency at work). */
  readonly duplicateAnswers: number;
  /** Notification POSTs retried (refused during a restart, 503 for a claim in progress). */
  readonly retriedPosts: number;
}

export interface BurstReport {
  readonly accounting: BurstAccounting;
  readonly restarts: number;
  /** Distinct notifications acknowledged per second, from the first POST to the last acknowledgement. */
  readonly intakePerSecond: number;
  readonly postsPerSecond: number;
  readonly burstSeconds: number;
  /** From the first POST until no job is left in any queue. */
  readonly allDoneSeconds: number;
  /** Notification first POSTed -> its CSV's manifest generatedAt, over the export jobs. */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** Human-readable violations of the accounting (empty when 0 lost, 0 duplicates, every job accounted for). */
  readonly problems: ReadonlyArray<string>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolvePort(port));
    });
  });
}

/** Every file under `dir` (relative paths), or [] when it does not exist. */
export async function walk(dir: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(dir, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, rel)));
    else out.push(rel);
  }
  return out;
}

function percentile(sorted: ReadonlyArray<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Queue messages (not temporary files) left under DATA_DIR/queues. */
export async function queuedMessages(dataDir: string): Promise<number> {
  return (await walk(join(dataDir, 'queues'))).filter((f) => f.endsWith('.json')).length;
}

/** The environment of a `kreports start` pointed at `sim` (as a real account would be) with a budget. */
export function stackEnv(sim: Simulator, dataDir: string, port: number, budget: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    PORT: String(port),
    REPORTING_CONFIG: PIPELINE_CONFIG,
    KALTURA_SERVICE_URL: sim.serviceUrl,
    KALTURA_REPORTS_URL: sim.reportsUrl,
    KALTURA_PARTNER_ID: String(sim.partnerId),
    KALTURA_ADMIN_SECRET: sim.adminSecret,
    KALTURA_MAX_CONCURRENT_REQUESTS: String(budget),
    LOG_LEVEL: 'warn',
    STOP_GRACE_MS: '2000',
    ...extra,
  };
}

/** Waits until DATA_DIR/queues is empty, polling; returns when it happened. */
export async function waitForDrain(dataDir: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await queuedMessages(dataDir)) === 0) return Date.now();
    if (Date.now() > deadline) throw new Error(`jobs still queued under ${dataDir}/queues after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function runLoad(plan: LoadPlan, dir: string, onAccepted: (n: number) => void): Promise<LoadResult[]> {
  return new Promise((resolveLoad, reject) => {
    const planFile = join(dir, 'plan.json');
    const resultsFile = join(dir, 'results.jsonl');
    writeFile(planFile, JSON.stringify(plan)).then(() => {
      const child = spawn(process.execPath, ['--import', 'tsx', LOAD_SCRIPT, planFile, resultsFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let buffer = '';
      child.stdout.on('data', (c: Buffer) => {
        buffer += c.toString('utf8');
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          const m = /^accepted (\d+)$/.exec(line);
          if (m) onAccepted(Number(m[1]));
        }
      });
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.on('error', reject);
      child.on('exit', async (code) => {
        if (code !== 0) return reject(new Error(`the load process exited with ${code}: ${stderr.slice(-2000)}`));
        const text = await readFile(resultsFile, 'utf8');
        resolveLoad(text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LoadResult));
      });
    }, reject);
  });
}

export async function runPipelineBurst(options: BurstOptions): Promise<BurstReport> {
  const log = options.log ?? (() => undefined);
  const sim = await startSimulator({ bigRowCount: 10_000 });
  if (options.kalturaLatencyMs) sim.injectFault({ kind: 'delay', ms: options.kalturaLatencyMs, times: Number.MAX_SAFE_INTEGER, match: { service: 'report' } });
  const data = await tempDir('kreports-burst-');
  const work = await tempDir('kreports-burst-load-');
  let stack: RunningStack | undefined;
  try {
    const dataDir = data.path;
    const port = await freePort();
    const env = stackEnv(sim, dataDir, port, options.budget, options.env);
    stack = await startStack(env, { timeoutMs: 60_000 });
    const runId = Date.now().toString(36);
    const items = planBurst(options.total, runId);
    const plan: LoadPlan = { webhookUrl: stack.webhookUrl, partnerId: sim.partnerId, secret: sim.adminSecret, concurrency: options.loadConcurrency ?? 24, deadlineMs: 180_000, items };
    log(`burst: ${options.total} POSTs (${items.length} distinct notifications), ${options.restarts} SIGKILL restart(s), Kaltura budget ${options.budget}, Kaltura latency ${options.kalturaLatencyMs ?? 0} ms, DATA_DIR ${dataDir}`);

    // Restarts when the acknowledged count passes k/(restarts+1) of the POSTs; one at a time.
    const thresholds = Array.from({ length: options.restarts }, (_, k) => Math.floor(((k + 1) * options.total) / (options.restarts + 1)));
    let restarting: Promise<void> = Promise.resolve();
    let restarts = 0;
    const onAccepted = (n: number) => {
      while (thresholds.length > 0 && n >= thresholds[0]!) {
        thresholds.shift();
        restarting = restarting.then(async () => {
          await stack!.stop('SIGKILL');
          log(`  SIGKILL at ${n} acknowledged; ${await queuedMessages(dataDir)} job message(s) on disk; restarting`);
          stack = await startStack(env, { timeoutMs: 60_000 });
          restarts++;
        });
      }
    };
    const started = Date.now();
    const results = await runLoad(plan, work.path, onAccepted);
    await restarting;
    const burstEnd = Date.now();
    log(`  load done in ${((burstEnd - started) / 1000).toFixed(1)} s; waiting for the jobs`);
    const doneAt = await waitForDrain(dataDir, options.drainTimeoutMs ?? 600_000);
    await stack.stop('SIGTERM');
    stack = undefined;

    const config = await loadConfigFile(PIPELINE_CONFIG);
    const accounting = await account({ dataDir, config, items, results, sim, budget: options.budget });
    const acceptedTimes = results.filter((r) => r.acceptedAt !== undefined).map((r) => r.acceptedAt!);
    const lastAccepted = Math.max(...acceptedTimes);
    const latencies = await exportLatencies(dataDir, results);
    const report: BurstReport = {
      accounting,
      restarts,
      intakePerSecond: accounting.accepted / ((lastAccepted - started) / 1000),
      postsPerSecond: accounting.posts / ((lastAccepted - started) / 1000),
      burstSeconds: (burstEnd - started) / 1000,
      allDoneSeconds: (doneAt - started) / 1000,
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      problems: problemsOf(accounting),
    };
    return report;
  } finally {
    await stack?.stop('SIGKILL');
    await sim.close();
    await work.remove();
    await data.remove();
  }
}

/** Export jobs: notification first POSTed -> the manifest's generatedAt (ms, sorted). */
async function exportLatencies(dataDir: string, results: ReadonlyArray<LoadResult>): Promise<number[]> {
  const firstSent = new Map<string, number>();
  for (const r of results) firstSent.set(r.entryId, Math.min(firstSent.get(r.entryId) ?? Infinity, r.firstSentAt));
  const bucket = join(dataDir, 'bucket');
  const out: number[] = [];
  for (const file of (await walk(bucket, 'reports')).filter((f) => f.endsWith('.manifest.json'))) {
    const manifest = JSON.parse(await readFile(join(bucket, file), 'utf8')) as { generatedAt: string; job: { subject: { id: string } } };
    const sent = firstSent.get(manifest.job.subject.id);
    if (sent !== undefined) out.push(Date.parse(manifest.generatedAt) - sent);
  }
  return out.sort((a, b) => a - b);
}

interface AccountInput {
  readonly dataDir: string;
  readonly config: ReportingConfig;
  readonly items: ReadonlyArray<PlannedNotification>;
  readonly results: ReadonlyArray<LoadResult>;
  readonly sim: Simulator;
  readonly budget: number;
}

/** Counts everything from DATA_DIR and the load's record. Exported for the tests. */
export async function account(input: AccountInput): Promise<BurstAccounting> {
  const { dataDir, config, items, results, sim } = input;
  const bucket = join(dataDir, 'bucket');
  const planned = new Map(items.map((i) => [String(i.eventId), i]));

  // Notifications: acknowledged by the stack vs archived in the bucket.
  const accepted = new Set(results.filter((r) => r.status === 200).map((r) => String(r.eventId)));
  const everSent = new Set(results.map((r) => String(r.eventId)));
  const archiveFiles = (await walk(bucket, 'archive/notifications')).filter((f) => f.endsWith('.json'));
  const archived = new Map<string, string>();
  for (const f of archiveFiles) archived.set(f.slice(f.lastIndexOf('/') + 1, -'.json'.length), f);

  // Jobs created: the archived notifications under the configuration, as the receiver matched them.
  const created = new Map<string, string>(); // jobId -> kind
  for (const [, file] of archived) {
    const doc = ArchivedNotificationSchema.parse(JSON.parse(await readFile(join(bucket, file), 'utf8')));
    if (doc.version !== 2) throw new Error(`unexpected archive document version in ${file}`);
    const notification = parseKalturaHttpNotification(doc.notification);
    if (!notification.success) throw new Error(`archived notification ${file} does not parse`);
    const match = jobsForNotification(notification.data, { config, partnerId: doc.partnerId ?? sim.partnerId, receivedAt: new Date(doc.receivedAt) });
    for (const m of match.messages) created.set(m.jobId, m.spec.kind);
  }
  const jobsExpected = [...accepted].filter((id) => planned.get(id)?.kind !== 'unmatched').length;

  // Done: an export has its manifest (the CSV is written first), a check its recorded result.
  const manifests = (await walk(bucket, 'reports')).filter((f) => f.endsWith('.manifest.json'));
  const csvFiles = (await walk(bucket, 'reports')).filter((f) => f.endsWith('.csv'));
  const exportsDone = new Map<string, number>();
  for (const f of manifests) {
    const m = JSON.parse(await readFile(join(bucket, f), 'utf8')) as { job: { jobId: string } };
    exportsDone.set(m.job.jobId, (exportsDone.get(m.job.jobId) ?? 0) + 1);
  }
  const done = new Set<string>();
  for (const [jobId, kind] of created) {
    if (kind === 'export' && exportsDone.has(jobId)) done.add(jobId);
    if (kind === 'check' && existsSync(join(dataDir, 'state', stateFileName(checkResultKey(jobId))))) done.add(jobId);
  }
  const dead = new Map<string, number>();
  for (const f of (await walk(join(dataDir, 'dead-letters'))).filter((n) => n.endsWith('.json'))) {
    const letter = JSON.parse(await readFile(join(dataDir, 'dead-letters', f), 'utf8')) as { body: string };
    const jobId = (JSON.parse(letter.body) as { jobId?: string }).jobId ?? f;
    dead.set(jobId, (dead.get(jobId) ?? 0) + 1);
  }
  const missing = [...created.keys()].filter((id) => !done.has(id) && !dead.has(id));
  const doneAndDead = [...done].filter((id) => dead.has(id)).length;
  const deadTwice = [...dead.values()].reduce((n, c) => n + (c - 1), 0);

  // Alerts: one line per alert sent to the `local` destination.
  let alertLines: Array<{ kind: string; subject: { id: string } }> = [];
  try {
    alertLines = (await readFile(join(dataDir, 'alerts.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    alertLines = [];
  }
  const firing = new Set(alertLines.filter((a) => a.kind === 'firing').map((a) => a.subject.id));
  const expectedFiring = [...accepted].filter((id) => planned.get(id)?.kind === 'check-firing').length;
  const exportJobs = [...created.values()].filter((k) => k === 'export').length;

  const partner = sim.concurrency()[String(sim.partnerId)] ?? { peak: 0, total: 0 };
  return {
    posts: results.length,
    postsAccepted: results.filter((r) => r.status === 200).length,
    accepted: accepted.size,
    archived: archived.size,
    lost: [...accepted].filter((id) => !archived.has(id)).length,
    notAccepted: [...everSent].filter((id) => !accepted.has(id)).length,
    jobsCreated: created.size,
    jobsExpected,
    jobsDone: done.size,
    deadLettered: dead.size,
    jobsMissing: missing.length,
    leftInQueues: await queuedMessages(dataDir),
    csvWritten: csvFiles.length,
    distinctExportJobs: exportJobs,
    alertsSent: alertLines.length,
    distinctFiringSubjects: firing.size,
    expectedFiringSubjects: expectedFiring,
    duplicateEffects: alertLines.length - firing.size + Math.max(0, csvFiles.length - exportsDone.size) + [...exportsDone.values()].reduce((n, c) => n + (c - 1), 0) + doneAndDead + deadTwice,
    kalturaPeakInFlight: partner.peak,
    kalturaBudget: input.budget,
    kalturaRequests: partner.total,
    duplicateAnswers: results.filter((r) => r.duplicate).length,
    retriedPosts: results.filter((r) => r.attempts > 1).length,
  };
}

export function problemsOf(a: BurstAccounting): string[] {
  const problems: string[] = [];
  if (a.notAccepted > 0) problems.push(`${a.notAccepted} notification(s) never acknowledged`);
  if (a.lost > 0) problems.push(`${a.lost} acknowledged notification(s) not archived (lost)`);
  if (a.accepted !== a.archived) problems.push(`accepted ${a.accepted} != archived ${a.archived}`);
  if (a.jobsCreated !== a.jobsExpected) problems.push(`jobs created ${a.jobsCreated} != jobs the plan expects ${a.jobsExpected}`);
  if (a.jobsCreated !== a.jobsDone + a.deadLettered || a.jobsMissing > 0) problems.push(`jobs created ${a.jobsCreated} != done ${a.jobsDone} + dead-lettered ${a.deadLettered} (${a.jobsMissing} missing)`);
  if (a.leftInQueues > 0) problems.push(`${a.leftInQueues} message(s) left in the queues`);
  if (a.csvWritten !== a.distinctExportJobs) problems.push(`CSVs written ${a.csvWritten} != distinct export jobs ${a.distinctExportJobs}`);
  if (a.alertsSent !== a.distinctFiringSubjects) problems.push(`alerts sent ${a.alertsSent} != distinct firing subjects ${a.distinctFiringSubjects}`);
  if (a.distinctFiringSubjects !== a.expectedFiringSubjects) problems.push(`firing subjects ${a.distinctFiringSubjects} != quiet entries checked ${a.expectedFiringSubjects}`);
  if (a.duplicateEffects > 0) problems.push(`${a.duplicateEffects} duplicate effect(s)`);
  if (a.kalturaPeakInFlight > a.kalturaBudget) problems.push(`Kaltura saw ${a.kalturaPeakInFlight} requests in flight, over the budget of ${a.kalturaBudget}`);
  return problems;
}
