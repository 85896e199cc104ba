/**
 * Runs a recipe (config/recipes/*.yaml) end to end in this process, as `kreports schedule run` and
 * the local stack do: the in-process runner (`runJobsInProcess`: local queues, the real job
 * handlers, dead letters), the built-in simulator, files in a temporary DATA_DIR/bucket and alerts
 * to loopback Slack/Teams stand-ins plus DATA_DIR/alerts.jsonl.
 *
 * Every schedule runs once (`--at` a fixed Monday), and every rule gets one matching notification
 * built by the simulator (`triggers` below picks the entry and event per rule). Poll cadences are
 * shortened (microservice first poll 1 s, live watches 1 s polls for 3 s) so a recipe runs in seconds;
 * nothing else of the recipe is changed.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadConfigFile } from '../../shared/config/load-config.js';
import type { JobSpec, ReportingConfig, Rule } from '../../shared/config/schema.js';
import type { JobMessage, JobKind } from '../../shared/jobs/job-message.js';
import { createKalturaClient, type KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { createFileBlobStore } from '../../shared/storage/file-blob-store.js';
import { runSchedule } from '../../shared/schedules/run-schedule.js';
import { jobsForNotification } from '../../shared/webhook/rule-matching.js';
import { parseKalturaHttpNotification, type KalturaHttpNotification } from '../../shared/webhook/notification-schema.js';
import { runJobsInProcess } from '../../cli/in-process-runner.js';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import type { NotificationOptions } from '../../simulator/types.js';
import { startFakeSlack, startFakeTeams, type FakeServer } from '../alerts/helpers.js';

/** The Monday 06:00 New York the schedules are run "at" (previous-week = Nov 16-23, 2026). */
export const RUN_AT = new Date('2026-11-23T11:00:00Z');

export interface RecipeRun {
  readonly config: ReportingConfig;
  readonly dataDir: string;
  /** Every object written, key -> bytes. */
  readonly objects: ReadonlyMap<string, Buffer>;
  readonly alerts: ReadonlyArray<Record<string, unknown>>;
  readonly slack: FakeServer;
  readonly teams: FakeServer;
  readonly failures: ReadonlyArray<{ kind: string; reason: string }>;
  /** Messages planned per schedule/rule, to match outputs against. */
  readonly messages: ReadonlyArray<JobMessage>;
}

export interface RecipeEnv {
  readonly sim: Simulator;
  readonly api: KalturaClient;
  readonly slack: FakeServer;
  readonly teams: FakeServer;
  close(): Promise<void>;
}

export async function startRecipeEnv(): Promise<RecipeEnv> {
  const sim = await startSimulator({ microserviceJobMs: 300, bigRowCount: 2000 });
  const api = createKalturaClient({ serviceUrl: sim.serviceUrl, reportsUrl: sim.reportsUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5, timeoutMs: 20_000 });
  const [slack, teams] = await Promise.all([startFakeSlack(), startFakeTeams()]);
  return {
    sim,
    api,
    slack,
    teams,
    async close() {
      await api.close();
      await Promise.all([sim.close(), slack.close(), teams.close()]);
    },
  };
}

/** Which notification each rule of the recipes gets: an entry that matches its `when`. */
function notificationFor(rule: Rule): NotificationOptions {
  const when = rule.when;
  const objectType = Array.isArray(when.eventObjectType) ? when.eventObjectType[0] : when.eventObjectType;
  const eventType = Array.isArray(when.eventType) ? when.eventType[0] : when.eventType;
  const status = (when.object?.status as number | undefined) ?? 2;
  const numericEvent = eventType === undefined ? 3 : typeof eventType === 'number' ? eventType : ({ OBJECT_ADDED: 2, OBJECT_CHANGED: 3, OBJECT_CREATED: 5 } as Record<string, number>)[eventType] ?? 3;
  if (objectType === 'LIVE_STREAM' || objectType === 38) return { entryId: '1_unhealthy_live', eventObjectType: 38, eventType: numericEvent, status };
  if (typeof objectType === 'string' && objectType.startsWith('virtualEventEventNotifications')) {
    return { entryId: '5501', eventObjectType: objectType, eventType: numericEvent, status, objectType: 'KalturaVirtualEvent' };
  }
  return { entryId: '1_demo', entryName: 'Recipe demo entry', eventType: numericEvent, status, ...(when.templateSystemName ? { templateSystemName: String(Array.isArray(when.templateSystemName) ? when.templateSystemName[0] : when.templateSystemName) } : {}) };
}

/** Test cadence: the recipe's jobs with polls shortened (see the module comment). */
function fastSpec(spec: JobSpec): JobSpec {
  if (spec.kind === 'microservice') return { ...spec, pollInterval: '1s' };
  if (spec.kind === 'live-health') return { ...spec, pollInterval: '1s', maxDuration: '3s' };
  return spec;
}

function fastConfig(config: ReportingConfig): ReportingConfig {
  return {
    ...config,
    rules: config.rules.map((r) => ({ ...r, jobs: r.jobs.map(fastSpec) })),
    schedules: config.schedules.map((s) => ({ ...s, jobs: s.jobs.map(fastSpec) })),
  };
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else out.push(path);
    }
  };
  await walk(root);
  return out;
}

export async function runRecipe(env: RecipeEnv, file: string): Promise<RecipeRun & { cleanup(): Promise<void> }> {
  const loaded = await loadConfigFile(file);
  const config = fastConfig(loaded);
  const dataDir = await mkdtemp(join(tmpdir(), 'recipe-'));
  const bucket = join(dataDir, 'bucket');
  const blobStore = createFileBlobStore({ root: bucket });
  const processEnv: NodeJS.ProcessEnv = { SLACK_WEBHOOK_URL: env.slack.url, TEAMS_WEBHOOK_URL: env.teams.url };
  const messages: JobMessage[] = [];
  const failures: Array<{ kind: string; reason: string }> = [];
  const run = async (enqueue: Parameters<typeof runJobsInProcess>[0]['enqueue']) => {
    const result = await runJobsInProcess({ config, api: env.api, blobStore, dataDir, env: processEnv, enqueue, timeoutMs: 120_000 });
    failures.push(...result.failures.map((f) => ({ kind: f.kind, reason: f.reason })));
  };
  for (const schedule of config.schedules) {
    await run(async (queue) => {
      const planned = (await runSchedule({ config, queue, partnerId: env.api.partnerId }, schedule.name, RUN_AT)).messages;
      messages.push(...planned);
      return planned;
    });
  }
  for (const rule of config.rules) {
    const built = env.sim.buildNotification(notificationFor(rule));
    const parsed = parseKalturaHttpNotification(JSON.parse(built.body.toString('utf8')));
    if (!parsed.success) throw new Error(`the simulator's notification for rule ${rule.name} does not parse`);
    const notification: KalturaHttpNotification = parsed.data;
    const match = jobsForNotification(notification, { config, partnerId: env.api.partnerId, receivedAt: RUN_AT });
    if (!match.matchedRules.includes(rule.name)) throw new Error(`the test notification for rule ${rule.name} did not match it`);
    if (match.unresolved.length > 0) throw new Error(`unresolved jobs: ${JSON.stringify(match.unresolved)}`);
    const own = match.messages.filter((m) => m.rule === rule.name);
    messages.push(...own);
    await run(async (queue) => {
      const byKind = new Map<JobKind, JobMessage[]>();
      for (const m of own) byKind.set(m.spec.kind, [...(byKind.get(m.spec.kind) ?? []), m]);
      for (const [kind, list] of byKind) await queue.send(kind, list);
      return own;
    });
  }
  const objects = new Map<string, Buffer>();
  for (const path of await listFiles(bucket)) {
    // The file blob store keeps in-flight uploads out of sight under names starting with a dot.
    const key = relative(bucket, path).split('\\').join('/');
    if (key.split('/').some((s) => s.startsWith('.'))) continue;
    objects.set(key, await readFile(path));
  }
  let alerts: Array<Record<string, unknown>> = [];
  try {
    alerts = (await readFile(join(dataDir, 'alerts.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    /* no local alerts */
  }
  return { config, dataDir, objects, alerts, slack: env.slack, teams: env.teams, failures, messages, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
}
