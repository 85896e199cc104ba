/**
 * Destination adapters on their own: what each sends and how each answer is classified.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it, afterEach } from 'vitest';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { buildAlertMessage, type AlertMessage } from '../../shared/alerts/alert-message.js';
import { createWebhookDestination } from '../../shared/alerts/destinations/webhook.js';
import { createSlackDestination, slackPayload } from '../../shared/alerts/destinations/slack.js';
import { createTeamsDestination } from '../../shared/alerts/destinations/teams.js';
import { createSnsDestination, createSnsPublisher, snsSubject } from '../../shared/alerts/destinations/sns.js';
import { createLocalDestination } from '../../shared/alerts/destinations/local.js';
import { createKalturaEmailDestination } from '../../shared/alerts/destinations/kaltura-email.js';
import { DestinationError, createPacer } from '../../shared/alerts/destinations/destination.js';
import { computeWindow } from '../../shared/jobs/window.js';
import { readJsonLines, startFakeServer, tempDir, type FakeServer } from './helpers.js';

function sampleMessage(kind: AlertMessage['kind'] = 'firing'): AlertMessage {
  return buildAlertMessage({
    id: 'alert-1',
    kind,
    severity: 'warning',
    rule: 'entry-ready',
    job: 'low-engagement',
    jobKind: 'check',
    jobId: 'job-1',
    subject: { scope: 'entry', id: '1_abc', name: 'Town hall <Q4> & more' },
    observation: {
      status: 'firing',
      description: 'count_plays is 0; condition < 1 is met.',
      metric: 'count_plays',
      value: 0,
      condition: '< 1',
      window: computeWindow({ lastDays: 7 }, new Date('2026-11-27T15:00:00Z'), 'America/New_York'),
      facts: [{ label: 'Report', value: '1 (totals)' }],
    },
    since: new Date('2026-11-27T12:00:00Z'),
    now: new Date('2026-11-27T15:00:00Z'),
    kmcUrl: 'https://kmc.kaltura.com',
  });
}

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function server(...args: Parameters<typeof startFakeServer>) {
  const s = await startFakeServer(...args);
  servers.push(s);
  return s;
}

describe('alert message', () => {
  it('says what crossed what, for which entry, over which window, with a link', () => {
    const message = sampleMessage();
    expect(message.title).toBe('[FIRING] low-engagement for entry "Town hall <Q4> & more" (1_abc)');
    expect(message.text).toContain('count_plays is 0; condition < 1 is met.');
    expect(message.text).toContain('Window: Nov 20, 2026, 00:00 to Nov 27, 2026, 00:00 (America/New_York)');
    expect(message.link).toBe('https://kmc.kaltura.com/index.php/kmcng/analytics/entry?id=1_abc');
  });

  it('says how long a resolved alert lasted', () => {
    const message = sampleMessage('resolved');
    expect(message.durationSeconds).toBe(3 * 3600);
    expect(message.text).toContain('Lasted 3 h');
    expect(message.severity).toBe('info');
  });
});

describe('generic webhook', () => {
  it('signs the exact body with HMAC-SHA256 over timestamp and body', async () => {
    const hook = await server({ status: 204 });
    const destination = createWebhookDestination({ name: 'hook', url: async () => hook.url, signingSecret: async () => 's3cret', now: () => 1_800_000_000_000 });
    await destination.send(sampleMessage());
    const request = hook.requests[0]!;
    expect(request.headers['x-reporting-timestamp']).toBe('1800000000');
    const expected = `sha256=${createHmac('sha256', 's3cret').update(`1800000000.${request.body}`).digest('hex')}`;
    const got = String(request.headers['x-reporting-signature']);
    expect(timingSafeEqual(Buffer.from(got), Buffer.from(expected))).toBe(true);
    expect(request.json<{ type: string; alert: AlertMessage }>()).toMatchObject({ type: 'kaltura-reporting.alert', alert: { id: 'alert-1', kind: 'firing' } });
    expect(request.headers['x-reporting-alert-id']).toBe('alert-1');
  });

  it('classifies 4xx as permanent and 5xx as retryable, never naming the URL', async () => {
    const hook = await server({ status: 404, body: 'no such hook' });
    const destination = createWebhookDestination({ name: 'hook', url: async () => hook.url, signingSecret: async () => 's' });
    const permanent = await destination.send(sampleMessage()).catch((e: DestinationError) => e);
    expect(permanent).toMatchObject({ retryable: false, status: 404 });
    expect((permanent as Error).message).not.toContain(hook.url);
    hook.fallback = { status: 502 };
    await expect(destination.send(sampleMessage())).rejects.toMatchObject({ retryable: true, status: 502 });
  });

  it('treats an unreachable URL as retryable', async () => {
    const destination = createWebhookDestination({ name: 'hook', url: async () => 'http://127.0.0.1:9/hook', signingSecret: async () => 's', timeoutMs: 2000 });
    await expect(destination.send(sampleMessage())).rejects.toMatchObject({ retryable: true });
  });
});

describe('Slack', () => {
  it('builds Block Kit with escaped text, fields and a Kaltura button', () => {
    const payload = slackPayload(sampleMessage()) as { text: string; blocks: Array<Record<string, unknown>> };
    expect(payload.text).toContain('[FIRING]');
    expect(payload.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context', 'actions']);
    expect(JSON.stringify(payload.blocks[1])).toContain('*Value*\\n0');
    expect(JSON.stringify(payload.blocks[3])).toContain('https://kmc.kaltura.com/index.php/kmcng/analytics/entry?id=1_abc');
    // The fallback text is mrkdwn: escaped, so a name like "<!channel>" cannot ping anyone.
    expect(payload.text).toContain('Town hall &lt;Q4&gt; &amp; more');
    // Header is plain text (no escaping needed), mrkdwn is escaped.
    expect(JSON.stringify(payload.blocks[0])).toContain('Town hall <Q4> & more');
  });

  it('gives up inline on a long Retry-After and leaves it to the job (retryable)', async () => {
    const slack = await server({ status: 429, headers: { 'retry-after': '120' }, body: 'rate_limited' });
    const waits: number[] = [];
    const destination = createSlackDestination({ name: 'slack', url: async () => slack.url, sleep: async (ms) => void waits.push(ms) });
    await expect(destination.send(sampleMessage())).rejects.toMatchObject({ retryable: true, status: 429, retryAfterSeconds: 120 });
    expect(slack.requests).toHaveLength(1);
  });

  it.each([400, 403, 404, 410])('treats HTTP %i as permanent', async (status) => {
    const slack = await server({ status, body: 'invalid_token' });
    const destination = createSlackDestination({ name: 'slack', url: async () => slack.url, sleep: async () => undefined });
    await expect(destination.send(sampleMessage())).rejects.toMatchObject({ retryable: false, status });
  });

  it('paces messages to one webhook about one per second', async () => {
    const waits: number[] = [];
    let t = 0;
    const pace = createPacer(1000, async (ms) => void waits.push(ms), () => t);
    await pace('hook-a');
    await pace('hook-a');
    await pace('hook-b');
    t = 5000;
    await pace('hook-a');
    expect(waits).toEqual([1000]);
  });
});

describe('Teams', () => {
  it('treats 202 as success and 400 as permanent', async () => {
    const teams = await server({ status: 202 });
    const destination = createTeamsDestination({ name: 'teams', url: async () => teams.url });
    await destination.send(sampleMessage());
    expect(teams.requests[0]!.json<{ type: string }>().type).toBe('message');
    teams.fallback = { status: 400, body: 'bad' };
    await expect(destination.send(sampleMessage())).rejects.toMatchObject({ retryable: false });
  });
});

describe('Kaltura Messaging', () => {
  it('retries 401 (fresh KS) and 5xx, not 400', async () => {
    const messaging = await server({ status: 401 }, '/api/v1');
    const destination = createKalturaEmailDestination({ name: 'email', templateId: 7, receiverUserIds: ['a@example.com'], messagingUrl: messaging.url, getKs: async () => 'djJ8ks' });
    await expect(destination.send(sampleMessage())).rejects.toMatchObject({ retryable: true, status: 401 });
    messaging.fallback = { status: 400, body: '{"code":"VALIDATION","message":"templateId"}' };
    await expect(destination.send(sampleMessage())).rejects.toMatchObject({ retryable: false, status: 400 });
    messaging.fallback = { status: 500 };
    await expect(destination.send(sampleMessage())).rejects.toMatchObject({ retryable: true });
    expect(messaging.requests[0]!.json<{ templateId: string }>().templateId).toBe('7');
  });
});

describe('SNS', () => {
  it('publishes title and text with attributes (Query protocol, signed), and classifies errors', async () => {
    const sns = await server({ status: 200, headers: { 'content-type': 'text/xml' }, body: '<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>' }, '/');
    const publish = createSnsPublisher({ endpoint: sns.url });
    const destination = createSnsDestination({ name: 'sns', topicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts', publish });
    await destination.send(sampleMessage());
    const form = new URLSearchParams(sns.requests[0]!.body);
    expect(Object.fromEntries(form)).toMatchObject({
      Action: 'Publish',
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts',
      Subject: snsSubject(sampleMessage().title),
      'MessageAttributes.entry.1.Name': 'kind',
      'MessageAttributes.entry.1.Value.StringValue': 'firing',
    });
    expect(form.get('Message')).toContain('count_plays is 0');
    expect(String(sns.requests[0]!.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/eu-west-1\/sns\/aws4_request/);
    // A topic that does not exist is permanent; throttling is retryable.
    sns.fallback = { status: 404, body: '<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error></ErrorResponse>' };
    await expect(destination.send(sampleMessage())).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('NotFound') });
    const throttled = createSnsDestination({ name: 'sns', topicArn: 'arn:aws:sns:eu-west-1:1:x', publish: async () => Promise.reject(Object.assign(new Error('slow down'), { code: 'Throttling' })) });
    await expect(throttled.send(sampleMessage())).rejects.toMatchObject({ retryable: true });
    expect(snsSubject('é'.repeat(150))).toHaveLength(100);
  });
});

describe('local sink', () => {
  it('appends one JSON line per alert, also under concurrency', async () => {
    const path = join(await tempDir('sink-'), 'nested', 'alerts.jsonl');
    const destination = createLocalDestination({ name: 'local', path });
    await Promise.all(Array.from({ length: 20 }, (_, i) => destination.send({ ...sampleMessage(), id: `alert-${i}` })));
    const lines = await readJsonLines(path);
    expect(lines).toHaveLength(20);
    expect(lines[0]).toMatchObject({ destination: 'local', kind: 'firing', subject: { id: '1_abc' } });
  });

  it('after a restart, skips what the file already has, but not a last line a crash cut short', async () => {
    // Prepare: a file from an earlier process: one complete line, then one cut short
    const path = join(await tempDir('sink-'), 'alerts.jsonl');
    const complete = JSON.stringify({ destination: 'local', ...sampleMessage(), id: 'alert-9' });
    await writeFile(path, `${complete}\n${JSON.stringify({ destination: 'local', id: 'alert-8' }).slice(0, 20)}`);
    const destination = createLocalDestination({ name: 'local', path });
    // Act
    await destination.send({ ...sampleMessage(), id: 'alert-9' });
    await destination.send({ ...sampleMessage(), id: 'alert-8' });
    // Assess
    const text = await readFile(path, 'utf8');
    expect(text.match(/"id":"alert-9"/g)).toHaveLength(1);
    expect(text.split('\n').filter((l) => l.startsWith('{"destination":"local","id":"alert-8","kind"'))).toHaveLength(1);
  });

  it('writes a message sent again (same id, after its sender died before recording it) once', async () => {
    // Prepare
    const path = join(await tempDir('sink-'), 'alerts.jsonl');
    const destination = createLocalDestination({ name: 'local', path });
    const other = createLocalDestination({ name: 'audit', path });
    // Act
    await destination.send(sampleMessage());
    await createLocalDestination({ name: 'local', path }).send(sampleMessage()); // the next process
    await destination.send({ ...sampleMessage('resolved'), id: 'alert-2' });
    await other.send(sampleMessage()); // the same message to another local destination is its own line
    await Promise.all([1, 2, 3].map(() => destination.send({ ...sampleMessage(), id: 'alert-3' }))); // at once
    // Assess
    const lines = (await readJsonLines(path)) as Array<{ destination: string; id: string }>;
    expect(lines.map((l) => `${l.destination}:${l.id}`)).toEqual(['local:alert-1', 'local:alert-2', 'audit:alert-1', 'local:alert-3']);
  });
});
