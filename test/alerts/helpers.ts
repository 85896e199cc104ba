/**
 * Test peers for the alert tests: local HTTP servers that behave like Slack, Teams and Kaltura
 * Messaging (programmable answers, every request recorded), and factories for configurations and
 * job messages.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../shared/config/load-config.js';
import type { JobSpec, ReportingConfig, SecretRef } from '../../shared/config/schema.js';
import { createJobMessage } from '../../shared/jobs/create-job-message.js';
import type { JobMessage } from '../../shared/jobs/job-message.js';
import type { QueueRecord } from '../../shared/queues/job-batch-processor.js';
import type { DeadLetter } from '../../shared/ports/dead-letter-sink.js';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { createKalturaClient, type KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { afterAll, beforeAll } from 'vitest';

export interface RecordedRequest {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface FakeServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Answers for the next requests, in order; afterwards `fallback`. */
  queue(...answers: Answer[]): void;
  fallback: Answer;
  close(): Promise<void>;
}

export async function startFakeServer(fallback: Answer, path = '/hook'): Promise<FakeServer> {
  const pending: Answer[] = [];
  const requests: RecordedRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ path: req.url ?? '', headers: req.headers, body, json: <T>() => JSON.parse(body) as T });
      const answer = pending.shift() ?? fake.fallback;
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeServer = {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    queue: (...answers) => pending.push(...answers),
    fallback,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return fake;
}

/** Slack answers `200 ok`. */
export const startFakeSlack = () => startFakeServer({ status: 200, body: 'ok' }, '/services/T000/B000/XXXX');
/** Teams workflows answer `202 Accepted` with an empty body. */
export const startFakeTeams = () => startFakeServer({ status: 202 }, '/workflows/abc/triggers/manual/paths/invoke');
/** Kaltura Messaging answers the bulk message object. */
export const startFakeMessaging = () =>
  startFakeServer({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'm1', bulkId: 'bulk_1', status: 'sending' }) }, '/api/v1');

export async function tempDir(prefix = 'alerts-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function readJsonLines(path: string): Promise<Array<Record<string, unknown>>> {
  try {
    const text = await readFile(path, 'utf8');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** A configuration with every HTTP destination pointing at the fakes (URLs via env-style secret refs). */
export function alertConfig(options: { messagingUrl?: string; timezone?: string } = {}): ReportingConfig {
  return validateConfig(
    {
      version: 1,
      kaltura: { timezone: options.timezone ?? 'America/New_York', kmcUrl: 'https://kmc.example.com' },
      destinations: {
        slack: { type: 'slack', url: { env: 'SLACK_URL' } },
        teams: { type: 'teams', url: { env: 'TEAMS_URL' } },
        hook: { type: 'webhook', url: { env: 'HOOK_URL' }, signingSecret: { env: 'HOOK_SECRET' } },
        email: { type: 'kaltura-email', templateId: 'tmpl-1', receiverUserIds: ['ops@example.com'], appGuid: 'app-guid', messagingUrl: options.messagingUrl ?? 'http://127.0.0.1:9/api/v1' },
        local: { type: 'local' },
      },
      rules: [],
    },
    'test-config.yaml',
  );
}

/** Resolves `{ env: NAME }` from the given map instead of process.env. */
export function secretsFrom(values: Record<string, string>): (ref: SecretRef) => Promise<string> {
  return async (ref) => {
    const name = 'env' in ref ? ref.env : ref.secret;
    const value = values[name];
    if (value === undefined) throw new Error(`no test secret ${name}`);
    return value;
  };
}

export const AT = new Date('2026-11-27T15:00:00Z');

export function checkSpec(overrides: Partial<Extract<JobSpec, { kind: 'check' }>> = {}): Extract<JobSpec, { kind: 'check' }> {
  return {
    kind: 'check',
    name: 'low-engagement',
    scope: 'entry',
    window: { lastDays: 7, includeCurrent: true },
    reportType: 1,
    metric: 'count_plays',
    condition: { op: '<', value: 1 },
    destinations: ['local'],
    repeatInterval: '24h',
    severity: 'warning',
    ...overrides,
  };
}

export function liveSpec(overrides: Partial<Extract<JobSpec, { kind: 'live-health' }>> = {}): Extract<JobSpec, { kind: 'live-health' }> {
  return { kind: 'live-health', name: 'stream-health', scope: 'entry', destinations: ['local'], severityThreshold: 3, pollInterval: '10s', maxDuration: '30m', repeatInterval: '15m', ...overrides };
}

/** A job message as the receiver would make it from an entry notification. */
export function jobFor(spec: JobSpec, entryId: string, options: { rule?: string; entryName?: string; at?: Date; partnerId?: number } = {}): JobMessage {
  return createJobMessage(spec, {
    rule: options.rule ?? 'entry-ready',
    trigger: { type: 'notification', eventNotificationJobId: '1001', receivedAt: (options.at ?? AT).toISOString() },
    at: options.at ?? AT,
    timezone: 'America/New_York',
    partnerId: options.partnerId ?? 4242,
    defaultWindow: { lastDays: 30 },
    defaultScope: 'entry',
    notification: { object: { id: entryId, ...(options.entryName ? { name: options.entryName } : {}), status: 2 } },
  });
}

export function record(message: JobMessage, id = 'm-1', receiveCount = 1): QueueRecord {
  return { messageId: id, body: JSON.stringify(message), attributes: { ApproximateReceiveCount: String(receiveCount) } };
}

export function memoryDeadLetters() {
  const letters: DeadLetter[] = [];
  return { letters, sink: { send: async (l: DeadLetter) => void letters.push(l) } };
}

export function memoryQueue() {
  const sent: Array<{ kind: string; messages: ReadonlyArray<JobMessage>; delaySeconds: number | undefined }> = [];
  return { sent, queue: { send: async (kind: string, messages: ReadonlyArray<JobMessage>, options?: { delaySeconds?: number }) => void sent.push({ kind, messages, delaySeconds: options?.delaySeconds }) } };
}

/** A clock tests move by hand. */
export function manualClock(start: Date = AT) {
  let t = start.getTime();
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms), set: (d: Date) => void (t = d.getTime()) };
}

/** The Kaltura simulator and a client for it with fast retries: the Kaltura side of the alert tests. */
export async function startSimulatorWithClient(): Promise<{ sim: Simulator; api: KalturaClient }> {
  const sim = await startSimulator();
  return { sim, api: createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5, maxRetries: 1 }) };
}

/**
 * `startSimulatorWithClient` for a whole test file: started before its tests, closed after them.
 * Read `sim` and `api` from the returned object inside tests (they exist once `beforeAll` ran).
 */
export function useSimulatorWithClient(): { readonly sim: Simulator; readonly api: KalturaClient } {
  let peers: { sim: Simulator; api: KalturaClient } | undefined;
  beforeAll(async () => {
    peers = await startSimulatorWithClient();
  });
  afterAll(async () => {
    await peers?.api.close();
    await peers?.sim.close();
  });
  const started = () => {
    if (!peers) throw new Error('the simulator is started in beforeAll: use it inside a test');
    return peers;
  };
  return {
    get sim() {
      return started().sim;
    },
    get api() {
      return started().api;
    },
  };
}
