/**
 * Report checks end to end: the real Kaltura client against the simulator, alert state in a file
 * state store, delivery to local servers that behave like Slack, Teams and Kaltura Messaging.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Simulator } from '../../simulator/index.js';
import type { KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { createFileStateStore } from '../../shared/state/file-state-store.js';
import { createCheckJobHandler, type JobHandlerDeps } from '../../shared/alerts/create-alert-engine.js';
import { AlertInProgressError } from '../../shared/alerts/alert-state.js';
import { processJobBatch } from '../../shared/queues/job-batch-processor.js';
import { createLogOperatorNotifier, type OperatorProblem } from '../../shared/alerts/operator-notifier.js';
import { rawLogger } from '../helpers/raw-logger.js';
import type { StateStore } from '../../shared/ports/state-store.js';
import type { AlertState } from '../../shared/alerts/alert-state.js';
import type { CheckResult } from '../../shared/checks/run-check.js';
import type { JobMessage } from '../../shared/jobs/job-message.js';
import {
  alertConfig,
  checkSpec,
  jobFor,
  manualClock,
  memoryDeadLetters,
  memoryQueue,
  readJsonLines,
  record,
  secretsFrom,
  startFakeMessaging,
  startFakeSlack,
  startFakeTeams,
  startSimulatorWithClient,
  tempDir,
  type FakeServer,
} from './helpers.js';

let sim: Simulator;
let api: KalturaClient;
let slack: FakeServer;
let teams: FakeServer;
let messaging: FakeServer;

beforeAll(async () => {
  ({ sim, api } = await startSimulatorWithClient());
  [slack, teams, messaging] = await Promise.all([startFakeSlack(), startFakeTeams(), startFakeMessaging()]);
});
afterAll(async () => {
  await api.close();
  await Promise.all([sim.close(), slack.close(), teams.close(), messaging.close()]);
});

interface Harness {
  readonly deps: JobHandlerDeps;
  readonly store: StateStore;
  readonly alertsPath: string;
  readonly clock: ReturnType<typeof manualClock>;
  readonly operatorProblems: OperatorProblem[];
  readonly sleeps: number[];
  readonly logger: ReturnType<typeof rawLogger>;
  run(message: JobMessage): Promise<void>;
}

async function harness(): Promise<Harness> {
  const dir = await tempDir();
  const store = createFileStateStore({ directory: join(dir, 'state') });
  const clock = manualClock();
  const operatorProblems: OperatorProblem[] = [];
  const sleeps: number[] = [];
  // No redaction: the checks below on URLs and KS must hold for what the code logs, not for what the logger masks.
  const logger = rawLogger();
  const operator = createLogOperatorNotifier({ logger, path: join(dir, 'operator.jsonl') });
  const deps: JobHandlerDeps = {
    api,
    config: alertConfig({ messagingUrl: messaging.url }),
    stateStore: store,
    operator: { notify: async (p) => void (operatorProblems.push(p), await operator.notify(p)) },
    localAlertsPath: join(dir, 'alerts.jsonl'),
    getKs: async () => 'djJ8test-admin-ks',
    resolveSecret: secretsFrom({ SLACK_URL: slack.url, TEAMS_URL: teams.url }),
    now: clock.now,
    sleep: async (ms) => void sleeps.push(ms),
    logger,
  };
  const handler = createCheckJobHandler(deps);
  return {
    deps,
    store,
    alertsPath: join(dir, 'alerts.jsonl'),
    clock,
    operatorProblems,
    sleeps,
    logger,
    run: async (message) => {
      await handler(message, { logger, attempt: 1 });
    },
  };
}

beforeEach(() => {
  for (const fake of [slack, teams, messaging]) fake.requests.length = 0;
  slack.fallback = { status: 200, body: 'ok' };
  teams.fallback = { status: 202 };
  sim.clearFaults();
});
afterEach(() => sim.clearFaults());

describe('report checks against the simulator', () => {
  it('fires for a quiet entry (no plays) and stays silent for an ordinary entry', async () => {
    // Prepare
    const h = await harness();
    const quiet = jobFor(checkSpec(), '0_quiet_demo', { entryName: 'Quiet demo' });
    const ordinary = jobFor(checkSpec(), '1_ordinary', { entryName: 'Ordinary' });
    // Act
    await h.run(quiet);
    await h.run(ordinary);
    // Assess
    const alerts = await readJsonLines(h.alertsPath);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'firing', subject: { id: '0_quiet_demo', name: 'Quiet demo' }, metric: 'count_plays', value: 0, condition: '< 1' });
    expect(String(alerts[0]!.title)).toContain('Quiet demo');
    expect(String(alerts[0]!.text)).toContain('0_quiet_demo');
    expect(String(alerts[0]!.link)).toBe('https://kmc.example.com/index.php/kmcng/analytics/entry?id=0_quiet_demo');
    // The window is shown in the partner timezone.
    expect(String((alerts[0]!.window as { text: string }).text)).toContain('America/New_York');
    // Both results are recorded, with value, threshold and verdict.
    const quietResult = await h.store.get<CheckResult>(`check#${quiet.jobId}`);
    const ordinaryResult = await h.store.get<CheckResult>(`check#${ordinary.jobId}`);
    expect(quietResult?.value).toMatchObject({ value: 0, threshold: '< 1', verdict: 'crossed', hadData: false });
    expect(ordinaryResult?.value.verdict).toBe('ok');
    expect(ordinaryResult?.value.value).toBeGreaterThan(0);
  });

  it('sends one multirequest per check, scoped to the entry, in the partner timezone', async () => {
    const h = await harness();
    sim.clearRequests();
    const message = jobFor(checkSpec(), '1_scoped');
    await h.run(message);
    const reportCalls = sim.requests.filter((r) => r.service === 'multirequest' || r.service === 'report');
    expect(reportCalls).toHaveLength(1);
    const params = JSON.stringify(reportCalls[0]!.params);
    expect(params).toContain('1_scoped');
    // New York in November is UTC-5: timeZoneOffset 300.
    expect(params).toMatch(/"timeZoneOffset":"?300/);
  });

  it('fires once, repeats after the repeat interval, and announces recovery with its duration', async () => {
    const h = await harness();
    const message = jobFor(checkSpec({ destinations: ['slack', 'teams', 'local'], repeatInterval: '6h' }), '0_quiet_repeat', { entryName: 'Quiet repeat' });
    // Act 1: first evaluation fires; a second one an hour later does not repeat.
    await h.run(message);
    h.clock.advance(3_600_000);
    await h.run(message);
    expect(slack.requests).toHaveLength(1);
    expect(teams.requests).toHaveLength(1);
    // Act 2: past the repeat interval it repeats.
    h.clock.advance(6 * 3_600_000);
    await h.run(message);
    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[1]!.json<{ text: string }>().text).toContain('STILL FIRING');
    // Act 3: the team lowers the threshold below the value: recovery is announced once, with how long it lasted.
    h.clock.advance(30 * 60_000);
    const relaxed: JobMessage = { ...message, spec: { ...checkSpec({ destinations: ['slack', 'teams', 'local'], repeatInterval: '6h' }), condition: { op: '<', value: 0 } } };
    await h.run(relaxed);
    await h.run(relaxed);
    // Assess
    expect(slack.requests).toHaveLength(3);
    const resolved = slack.requests[2]!.json<{ text: string; blocks: Array<{ type: string; fields?: Array<{ text: string }> }> }>();
    expect(resolved.text).toContain('RESOLVED');
    expect(JSON.stringify(resolved.blocks)).toContain('7 h 30 min');
    const lines = await readJsonLines(h.alertsPath);
    expect(lines.map((l) => l.kind)).toEqual(['firing', 'repeat', 'resolved']);
    expect(lines[2]!.durationSeconds).toBe(7.5 * 3600);
    // Teams got Adaptive Cards and answered 202.
    const card = teams.requests[0]!.json<{ attachments: Array<{ contentType: string; content: { type: string; actions: Array<{ url: string }> } }> }>();
    expect(card.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.attachments[0]!.content.actions[0]!.url).toContain('0_quiet_repeat');
    const state = await h.store.get<AlertState>('alert#entry-ready#low-engagement#entry:0_quiet_repeat');
    expect(state?.value.status).toBe('resolved');
  });

  it('sends exactly one alert when two workers evaluate the same subject at once', async () => {
    const h = await harness();
    const message = jobFor(checkSpec({ destinations: ['slack', 'local'] }), '0_quiet_race');
    // Four workers (separate handlers, as separate Lambdas would be) on one state store.
    const workers = Array.from({ length: 4 }, () => createCheckJobHandler(h.deps));
    const outcomes = await Promise.allSettled(workers.map((worker) => worker(message, { logger: h.logger, attempt: 1 })));
    expect(slack.requests).toHaveLength(1);
    expect(await readJsonLines(h.alertsPath)).toHaveLength(1);
    // A worker that found another's claim is deferred (to check again once the claim runs out), never failed.
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(AlertInProgressError);
  });

  it('records the error state and alerts once when Kaltura fails permanently; the job is dead-lettered with the reason', async () => {
    const h = await harness();
    const message = jobFor(checkSpec({ destinations: ['local'] }), '1_forbidden', { entryName: 'Forbidden' });
    sim.injectFault({ kind: 'api-error', code: 'SERVICE_FORBIDDEN', args: { SERVICE: 'report->getTotal' }, times: 20 });
    const dead = memoryDeadLetters();
    const { queue } = memoryQueue();
    const handler = createCheckJobHandler(h.deps);
    // Act: delivered twice (e.g. a replay), both fail permanently.
    const first = await processJobBatch([record(message)], { kind: 'check', handler, queue, deadLetters: dead.sink, logger: h.logger });
    h.clock.advance(60_000);
    await processJobBatch([record(message, 'm-2')], { kind: 'check', handler, queue, deadLetters: dead.sink, logger: h.logger });
    // Assess
    expect(first.batchItemFailures).toEqual([]);
    expect(dead.letters).toHaveLength(2);
    expect(dead.letters[0]!.reason).toContain('SERVICE_FORBIDDEN');
    const alerts = await readJsonLines(h.alertsPath);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'error', subject: { id: '1_forbidden' } });
    expect(String(alerts[0]!.description)).toContain('SERVICE_FORBIDDEN');
    const state = await h.store.get<AlertState>('alert#entry-ready#low-engagement#entry:1_forbidden');
    expect(state?.value.status).toBe('error');
    const result = await h.store.get<CheckResult>(`check#${message.jobId}`);
    expect(result?.value.verdict).toBe('error');
    // Once Kaltura works again, the error is resolved (an ordinary entry does not cross `< 1`).
    sim.clearFaults();
    await h.run(message);
    expect((await readJsonLines(h.alertsPath)).map((a) => a.kind)).toEqual(['error', 'resolved']);
  });

  it('an HTML page instead of the API is permanent: one error alert naming the page and the setting, dead-lettered at once', async () => {
    // Prepare
    const h = await harness();
    const message = jobFor(checkSpec({ destinations: ['local'] }), '1_proxied', { entryName: 'Proxied' });
    sim.injectFault({ kind: 'html-page', title: 'Corporate proxy login', times: 100, match: { service: 'report' } });
    const dead = memoryDeadLetters();
    const { queue } = memoryQueue();
    // Act
    const outcome = await processJobBatch([record(message)], { kind: 'check', handler: createCheckJobHandler(h.deps), queue, deadLetters: dead.sink, logger: h.logger });
    // Assess
    expect(outcome.batchItemFailures).toEqual([]);
    expect(dead.letters.map((l) => l.attempts)).toEqual([1]);
    expect(dead.letters[0]!.reason).toContain('answered an HTML page ("Corporate proxy login") instead of JSON: check that KALTURA_SERVICE_URL');
    const alerts = await readJsonLines(h.alertsPath);
    expect(alerts.map((a) => a.kind)).toEqual(['error']);
    expect(String(alerts[0]!.description)).toContain('Corporate proxy login');
  });

  it('alerts `error` when Kaltura keeps failing temporarily until the last attempt, not before', async () => {
    const h = await harness();
    const message = jobFor(checkSpec({ destinations: ['local'] }), '1_flaky', { entryName: 'Flaky' });
    sim.injectFault({ kind: 'http-status', status: 503, times: 100 });
    const dead = memoryDeadLetters();
    const { queue } = memoryQueue();
    const handler = createCheckJobHandler(h.deps);
    const options = { kind: 'check' as const, handler, queue, deadLetters: dead.sink, logger: h.logger, maxAttempts: 3 };
    // Act: attempts 1 and 2 fail and are left to SQS; attempt 3 is the last one.
    const early = await processJobBatch([record(message, 'f', 1)], options);
    await processJobBatch([record(message, 'f', 2)], options);
    expect(early.batchItemFailures).toEqual([{ itemIdentifier: 'f' }]);
    expect(await readJsonLines(h.alertsPath)).toEqual([]);
    const last = await processJobBatch([record(message, 'f', 3)], options);
    // Assess
    expect(last.batchItemFailures).toEqual([]);
    expect(dead.letters).toHaveLength(1);
    const alerts = await readJsonLines(h.alertsPath);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'error' });
    expect(String(alerts[0]!.description)).toContain('gave up after 3 attempts');
  });

  it('neither alerts `error` nor dead-letters on the last attempt when Kaltura asks to back off (429): the job is deferred', async () => {
    // Prepare
    const h = await harness();
    const message = jobFor(checkSpec({ destinations: ['local'] }), '1_throttled', { entryName: 'Throttled' });
    sim.injectFault({ kind: 'reject-for', status: 429, seconds: 60 });
    const dead = memoryDeadLetters();
    const { queue, sent } = memoryQueue();
    const options = { kind: 'check' as const, handler: createCheckJobHandler(h.deps), queue, deadLetters: dead.sink, logger: h.logger, maxAttempts: 3 };
    try {
      // Act: the last allowed receive
      const last = await processJobBatch([record(message, 'f', 3)], options);
      // Assess
      expect(last.batchItemFailures).toEqual([]);
      expect(dead.letters).toEqual([]);
      expect(await readJsonLines(h.alertsPath)).toEqual([]);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.delaySeconds).toBeGreaterThanOrEqual(50);
    } finally {
      sim.clearFaults();
    }
  });

  it('compares with the previous period for `change` (a second multirequest)', async () => {
    const h = await harness();
    sim.clearRequests();
    const message = jobFor(checkSpec({ name: 'plays-change', condition: { op: 'change', percent: -1_000_000 } }), '1_changes');
    await h.run(message);
    const result = (await h.store.get<CheckResult>(`check#${message.jobId}`))!.value;
    expect(sim.requests.filter((r) => r.service === 'multirequest')).toHaveLength(2);
    expect(result.previousValue).toBeGreaterThan(0);
    expect(result.changePercent).toBeCloseTo(((result.value! - result.previousValue!) / result.previousValue!) * 100, 2);
    expect(result.verdict).toBe('ok');
  });

  it('sums the metric over table rows when `from: table`', async () => {
    const h = await harness();
    const message = jobFor(checkSpec({ name: 'table-sum', from: 'table', condition: { op: '>', value: 0 } }), '1_tablesum');
    await h.run(message);
    const result = (await h.store.get<CheckResult>(`check#${message.jobId}`))!.value;
    expect(result.verdict).toBe('crossed');
    const totalResult = await api.getTotal({ reportType: 1, filter: { fromDate: message.window.from, toDate: message.window.to, entryIdIn: '1_tablesum', timeZoneOffset: 300 } });
    expect(result.value).toBe(Number(totalResult.values.count_plays));
  });

  it('reports `no-data` when asked to, instead of counting as zero', async () => {
    const h = await harness();
    const message = jobFor(checkSpec({ name: 'needs-data', onNoData: 'no-data' }), '0_quiet_nodata');
    await h.run(message);
    const alerts = await readJsonLines(h.alertsPath);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.kind).toBe('no-data');
  });

  it('names a metric that is not in the report as a configuration error (dead-lettered, error alert)', async () => {
    const h = await harness();
    const message = jobFor(checkSpec({ name: 'bad-metric', metric: 'count_nonsense' }), '1_badmetric');
    await expect(h.run(message)).rejects.toThrow(/count_nonsense.*is not a total of report 1/);
    expect((await readJsonLines(h.alertsPath))[0]!.kind).toBe('error');
  });
});

describe('destinations', () => {
  it('honours Slack 429 Retry-After and delivers once', async () => {
    const h = await harness();
    slack.queue({ status: 429, headers: { 'retry-after': '2' }, body: 'rate_limited' });
    await h.run(jobFor(checkSpec({ destinations: ['slack'] }), '0_quiet_429'));
    expect(slack.requests).toHaveLength(2);
    expect(h.sleeps).toContain(2000);
    expect(slack.requests[0]!.body).toBe(slack.requests[1]!.body);
  });

  it('treats Slack 410 as permanent: other destinations still get it, the operator is told once, nothing is retried', async () => {
    const h = await harness();
    slack.fallback = { status: 410, body: 'channel_is_archived' };
    const message = jobFor(checkSpec({ destinations: ['slack', 'teams'], repeatInterval: '1h' }), '0_quiet_410');
    // Act: the first alert and a repeat two hours later.
    await h.run(message);
    h.clock.advance(2 * 3_600_000);
    await h.run(message);
    // Assess: no exception (not retried), Teams got both, the operator heard about Slack once.
    expect(slack.requests).toHaveLength(2);
    expect(teams.requests).toHaveLength(2);
    expect(h.operatorProblems).toHaveLength(1);
    expect(h.operatorProblems[0]).toMatchObject({ destination: 'slack', type: 'slack' });
    expect(h.operatorProblems[0]!.reason).toContain('410');
    // The webhook URL (a secret) is in no log line and no operator message.
    const logged = h.logger.lines.join('\n') + JSON.stringify(h.operatorProblems);
    expect(logged).not.toContain(slack.url);
    expect(logged).not.toContain('/services/T000');
    const state = await h.store.get<AlertState>('alert#entry-ready#low-engagement#entry:0_quiet_410');
    expect(state?.value.lastNotification?.deliveries.slack?.status).toBe('failed');
    expect(state?.value.lastNotification?.deliveries.teams?.status).toBe('delivered');
  });

  it('retries only the destinations that failed temporarily', async () => {
    const h = await harness();
    teams.queue({ status: 503, body: 'busy' });
    const message = jobFor(checkSpec({ destinations: ['slack', 'teams'] }), '0_quiet_503');
    const dead = memoryDeadLetters();
    const { queue } = memoryQueue();
    const handler = createCheckJobHandler(h.deps);
    // Act: first delivery fails at Teams (retryable): SQS redelivers.
    const first = await processJobBatch([record(message, 'a', 1)], { kind: 'check', handler, queue, deadLetters: dead.sink, logger: h.logger });
    const second = await processJobBatch([record(message, 'a', 2)], { kind: 'check', handler, queue, deadLetters: dead.sink, logger: h.logger });
    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'a' }]);
    expect(second.batchItemFailures).toEqual([]);
    expect(slack.requests).toHaveLength(1);
    expect(teams.requests).toHaveLength(2);
    expect(teams.requests[0]!.body).toBe(teams.requests[1]!.body);
    expect(dead.letters).toEqual([]);
  });

  it('sends e-mail through Kaltura Messaging with a Bearer KS and the template tokens', async () => {
    const h = await harness();
    // No KS provider given: the engine uses the Kaltura client's own session (getKs).
    const handler = createCheckJobHandler({ ...h.deps, getKs: undefined });
    await handler(jobFor(checkSpec({ destinations: ['email'] }), '0_quiet_mail', { entryName: 'Quiet mail' }), { logger: h.logger, attempt: 1 });
    expect(messaging.requests).toHaveLength(1);
    const request = messaging.requests[0]!;
    expect(request.path).toBe('/api/v1/message/send');
    expect(request.headers.authorization).toMatch(/^Bearer djJ8\S+$/);
    // The KS is never logged.
    expect(h.logger.lines.join('\n')).not.toContain(String(request.headers.authorization).slice(7));
    const body = request.json<{ receiverType: string; userIds: string[]; templateId: string; appGuid: string; type: string; msgParams: Record<string, { type: string; value: unknown }> }>();
    expect(body).toMatchObject({ receiverType: 'user', userIds: ['ops@example.com'], templateId: 'tmpl-1', appGuid: 'app-guid', type: 'email' });
    expect(body.msgParams.subjectName).toEqual({ type: 'String', value: 'Quiet mail' });
    expect(body.msgParams.recipient).toEqual({ type: 'User', value: 'Message.userId' });
    expect(String(body.msgParams.alertTitle!.value)).toContain('FIRING');
  });
});
