/**
 * Acceptance of the webhook receiver through real HTTP on loopback: the local receiver server, the
 * Kaltura simulator building and sending notifications exactly as Kaltura does, the file
 * idempotency store, and an in-memory queue that records what was queued.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { JobMessageSchema } from '../../shared/jobs/job-message.js';
import { ArchivedNotificationSchema } from '../../shared/webhook/receiver.js';
import { createReceiver } from '../../shared/webhook/receiver.js';
import { startReceiverServer } from '../../shared/webhook/receiver-http-server.js';
import { MemoryBlobStore } from './helpers.js';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import { validateConfig } from '../../shared/config/load-config.js';
import { notificationJson, outcomes, post, PREVIOUS_SECRET, rawLogger, SECRET, signedRequest, startStack, testConfig, RecordingJobQueue, type Stack } from './helpers.js';
import type { DeadLetter } from '../../shared/ports/dead-letter-sink.js';

let sim: Simulator;
let stack: Stack;
let nextJobId = 900_000_000;
const freshJobId = () => ++nextJobId;

beforeAll(async () => {
  sim = await startSimulator({ adminSecret: SECRET });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.close();
});

describe('signature', () => {
  it.each([
    { algo: 'sha1' as const, omitAlgoHeader: true },
    { algo: 'sha1' as const, omitAlgoHeader: false },
    { algo: 'sha256' as const, omitAlgoHeader: false },
    { algo: 'sha512' as const, omitAlgoHeader: false },
  ])('accepts a notification signed with $algo (algorithm header omitted: $omitAlgoHeader) and queues its jobs', async ({ algo, omitAlgoHeader }) => {
    // Act
    const res = await sim.sendNotification(stack.server.webhookUrl, { entryId: '0_algo', algo, omitAlgoHeader, eventNotificationJobId: freshJobId() });
    // Assess
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'accepted', jobs: 2 });
    expect(stack.queue.sent.map((s) => s.kind).sort()).toEqual(['check', 'export']);
    for (const { message } of stack.queue.sent) {
      expect(JobMessageSchema.safeParse(message).success).toBe(true);
      expect(message.subject).toMatchObject({ scope: 'entry', id: '0_algo' });
    }
  });

  it('accepts both the current and the previous secret during a rotation, and nothing else', async () => {
    // Act
    const current = await sim.sendNotification(stack.server.webhookUrl, { entryId: '0_rot1', eventNotificationJobId: freshJobId() });
    const previous = await sim.sendNotification(stack.server.webhookUrl, { entryId: '0_rot2', secret: PREVIOUS_SECRET, eventNotificationJobId: freshJobId() });
    const other = await sim.sendNotification(stack.server.webhookUrl, { entryId: '0_rot3', secret: 'ffffffffffffffffffffffffffffffff', eventNotificationJobId: freshJobId() });
    // Assess
    expect([current.status, previous.status, other.status]).toEqual([200, 200, 401]);
    expect(new Set(stack.queue.sent.map((s) => s.message.subject.id))).toEqual(new Set(['0_rot1', '0_rot2']));
  });

  it('answers 401 with no detail and no echo for a wrong, missing or unknown-algorithm signature, and queues nothing', async () => {
    // Prepare
    const built = sim.buildNotification({ entryId: '0_forged', secret: 'attacker-secret', eventNotificationJobId: freshJobId() });
    const good = sim.buildNotification({ entryId: '0_forged', eventNotificationJobId: freshJobId() });
    const { 'X-KALTURA-SIGNATURE': goodSignature, ...unsignedHeaders } = good.headers;
    // Act
    const responses = [
      await post(stack.server.webhookUrl, built),
      await post(stack.server.webhookUrl, { body: good.body, headers: unsignedHeaders }),
      await post(stack.server.webhookUrl, { body: good.body, headers: { ...good.headers, 'X-KALTURA-HASH-ALGO': 'md5' } }),
      await post(stack.server.webhookUrl, { body: good.body, headers: { ...good.headers, 'X-KALTURA-SIGNATURE': goodSignature!.slice(0, -2) } }),
    ];
    // Assess
    for (const res of responses) {
      expect(res.status).toBe(401);
      expect(res.body).toBe('{"error":"unauthorized"}');
    }
    expect(stack.queue.sent).toEqual([]);
    expect(stack.archive.objects.size).toBe(0);
    expect(outcomes(stack.logger.lines)).toEqual(['rejected-signature', 'rejected-signature', 'rejected-signature', 'rejected-signature']);
  });

  it('reads the signature headers whatever their case', async () => {
    // Prepare
    const built = sim.buildNotification({ entryId: '0_case', algo: 'sha512', eventNotificationJobId: freshJobId() });
    const headers = { 'content-type': 'application/json', 'x-kaltura-signature': built.headers['X-KALTURA-SIGNATURE']!, 'X-Kaltura-Hash-Algo': 'SHA512' };
    // Act
    const res = await post(stack.server.webhookUrl, { body: built.body, headers });
    // Assess
    expect(res.status).toBe(200);
  });
});

describe('bodies', () => {
  it('accepts the legacy data=<url-encoded JSON> body labelled application/json', async () => {
    // Act
    const res = await sim.sendNotification(stack.server.webhookUrl, { entryId: '0_legacy', legacy: true, algo: 'sha1', eventNotificationJobId: freshJobId() });
    // Assess
    expect(res.status).toBe(200);
    expect(stack.queue.sent).toHaveLength(2);
    expect(stack.queue.sent[0]!.message.subject.id).toBe('0_legacy');
  });

  it('reads PHP-style JSON: escaped slashes, \\u escapes and multi-byte names', async () => {
    // Prepare: the simulator encodes like PHP json_encode (every non-ASCII character as \uXXXX, "/" as "\/").
    const name = 'Café – 日本語 🎬 "quoted" / slash';
    const built = sim.buildNotification({ entryId: '0_php', entryName: name, eventNotificationJobId: freshJobId() });
    expect(built.body.toString('utf8')).toContain('\\/');
    expect(built.body.toString('utf8')).toContain('\\u00e9');
    // Act
    const res = await post(stack.server.webhookUrl, built);
    // Assess
    expect(res.status).toBe(200);
    expect(stack.queue.sent[0]!.message.subject).toEqual({ scope: 'entry', id: '0_php', name });
  });

  it('accepts raw UTF-8 (unescaped multi-byte) JSON too', async () => {
    // Prepare
    const req = signedRequest(JSON.stringify(notificationJson({ jobId: freshJobId(), entryId: '0_utf8', object: { name: 'Ünïcödé 名前' } })));
    // Act
    const res = await post(stack.server.webhookUrl, req);
    // Assess
    expect(res.status).toBe(200);
    expect(stack.queue.sent[0]!.message.subject.name).toBe('Ünïcödé 名前');
  });

  it('accepts the XML data=<notification> body with numeric strings for enums', async () => {
    // Prepare: KalturaXmlSerializer output (objectType first, nulls as empty elements, &-escaped text).
    const jobId = freshJobId();
    const xml =
      'data=<notification><objectType>KalturaHttpNotification</objectType><object><objectType>KalturaMediaEntry</objectType>' +
      '<id>0_xml</id><name>Tom &amp; Jerry &lt;3</name><partnerId>4242</partnerId><status>2</status><tags></tags></object>' +
      `<eventObjectType>1</eventObjectType><eventNotificationJobId>${jobId}</eventNotificationJobId><templateId>26970222</templateId>` +
      '<templateName>Entry ready</templateName><templateSystemName>HTTP_ENTRY_STATUS_EQUALS</templateSystemName><eventType>3</eventType></notification>';
    // Act
    const res = await post(stack.server.webhookUrl, signedRequest(xml, { contentType: 'application/xml' }));
    // Assess
    expect(res.status).toBe(200);
    expect(stack.queue.sent).toHaveLength(2);
    expect(stack.queue.sent[0]!.message.subject).toEqual({ scope: 'entry', id: '0_xml', name: 'Tom & Jerry <3' });
    expect(stack.queue.sent[0]!.message.trigger).toMatchObject({ type: 'notification', eventNotificationJobId: String(jobId) });
  });

  it('answers 400 for a signed body that is not a notification, without echoing it', async () => {
    // Prepare
    const full = JSON.stringify(notificationJson({ jobId: freshJobId(), entryId: '0_secretish_value' }));
    const truncated = full.slice(0, Math.floor(full.length / 2));
    const bodies = [truncated, '{"hello":"world"}', 'plain text', '', 'data=', '[1,2,3]'];
    // Act
    const responses = await Promise.all(bodies.map((b) => post(stack.server.webhookUrl, signedRequest(b))));
    // Assess
    for (const res of responses) {
      expect(res.status).toBe(400);
      expect(res.json.error).toBe('bad-request');
      expect(res.body).not.toContain('0_secretish_value');
    }
    expect(responses[1]!.json.problems).toEqual(expect.arrayContaining([expect.stringContaining('eventNotificationJobId')]));
    expect(stack.queue.sent).toEqual([]);
  });

  it('answers 401 for a body truncated in transit (signature over the full body)', async () => {
    // Prepare
    const built = sim.buildNotification({ entryId: '0_cut', eventNotificationJobId: freshJobId() });
    // Act
    const res = await post(stack.server.webhookUrl, { body: built.body.subarray(0, built.body.length - 10), headers: built.headers });
    // Assess
    expect(res.status).toBe(401);
    expect(stack.queue.sent).toEqual([]);
  });

  it('queues nothing when the client disconnects mid-body, and keeps serving', async () => {
    // Prepare
    const built = sim.buildNotification({ entryId: '0_abort', eventNotificationJobId: freshJobId() });
    const { port } = stack.server;
    // Act: promise the full length, send half, hang up.
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        const head = [`POST /webhooks/kaltura HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Content-Length: ${built.body.length}`, ...Object.entries(built.headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
        socket.write(head);
        socket.write(built.body.subarray(0, 100), () => setTimeout(() => socket.destroy(), 50));
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    const after = await sim.sendNotification(stack.server.webhookUrl, { entryId: '0_after', eventNotificationJobId: freshJobId() });
    // Assess
    expect(after.status).toBe(200);
    expect(stack.queue.sent.map((s) => s.message.subject.id)).toEqual(['0_after', '0_after']);
  });

  it('answers 413 above the size limit, whether Content-Length announces it or a chunked body grows past it', async () => {
    // Prepare
    const padding = 'x'.repeat(300 * 1024);
    const big = signedRequest(JSON.stringify(notificationJson({ jobId: freshJobId(), object: { description: padding } })));
    // Act
    const announced = await post(stack.server.webhookUrl, big);
    const chunked = await fetch(stack.server.webhookUrl, {
      method: 'POST',
      headers: big.headers,
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < big.body.length; i += 16 * 1024) controller.enqueue(big.body.subarray(i, i + 16 * 1024));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    // Assess
    expect(announced.status).toBe(413);
    expect(announced.json).toEqual({ error: 'payload-too-large', limitBytes: 256 * 1024 });
    expect(chunked.status).toBe(413);
    expect(stack.queue.sent).toEqual([]);
    // Both refusals happen before the receiver sees a body; they are still counted.
    expect(outcomes(stack.logger.lines)).toEqual(['rejected-body', 'rejected-body']);
  });
});

describe('idempotency and durability', () => {
  it('queues one set of jobs when the same notification arrives twice in sequence', async () => {
    // Prepare
    const built = sim.buildNotification({ entryId: '0_dup', eventNotificationJobId: freshJobId() });
    // Act
    const first = await post(stack.server.webhookUrl, built);
    const second = await post(stack.server.webhookUrl, built);
    // Assess
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.json.status).toBe('duplicate');
    expect(stack.queue.sent).toHaveLength(2);
    expect(outcomes(stack.logger.lines)).toEqual(['accepted', 'duplicate']);
  });

  it('queues one set of jobs when the same notification arrives many times at once', async () => {
    // Prepare: a slow queue keeps the first delivery in flight while the others arrive.
    stack.queue.delayMs = 150;
    const built = sim.buildNotification({ entryId: '0_concurrent', eventNotificationJobId: freshJobId() });
    // Act
    const responses = await Promise.all(Array.from({ length: 8 }, () => post(stack.server.webhookUrl, built)));
    // Assess
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(responses.filter((r) => r.json.status === 'accepted')).toHaveLength(1);
    expect(stack.queue.sent).toHaveLength(2);
    expect(new Set(stack.queue.jobIds()).size).toBe(2);
  });

  it('answers 503 when the queue write fails, then queues exactly once when Kaltura retries', async () => {
    // Prepare
    stack.queue.failNext = 1;
    const built = sim.buildNotification({ entryId: '0_outage', eventNotificationJobId: freshJobId() });
    // Act
    const failed = await post(stack.server.webhookUrl, built);
    const retried = await post(stack.server.webhookUrl, built);
    const again = await post(stack.server.webhookUrl, built);
    // Assess
    expect(failed.status).toBe(503);
    expect(failed.json.error).toBe('unavailable');
    expect(retried.status).toBe(200);
    expect(retried.json.status).toBe('accepted');
    expect(again.json.status).toBe('duplicate');
    expect(stack.queue.sent.map((s) => s.message.subject.id)).toEqual(['0_outage', '0_outage']);
    expect(outcomes(stack.logger.lines)).toEqual(['failed', 'accepted', 'duplicate']);
  });

  it('answers 503 when the archive write fails, and a retry succeeds', async () => {
    // Prepare
    stack.archive.failNext = 1;
    const built = sim.buildNotification({ entryId: '0_archive_down', eventNotificationJobId: freshJobId() });
    // Act
    const failed = await post(stack.server.webhookUrl, built);
    const retried = await post(stack.server.webhookUrl, built);
    // Assess
    expect([failed.status, retried.status]).toEqual([503, 200]);
    expect(stack.queue.sent).toHaveLength(2);
  });

  it('answers 503 (not 200) while another delivery of the same id is still in flight past the wait', async () => {
    // Prepare: a receiver that waits only briefly, and a queue slower than that wait.
    await stack.close();
    stack = await startStack({ concurrentWaitMs: 50 });
    stack.queue.delayMs = 400;
    const built = sim.buildNotification({ entryId: '0_slow', eventNotificationJobId: freshJobId() });
    // Act
    const [a, b] = await Promise.all([post(stack.server.webhookUrl, built), new Promise((r) => setTimeout(r, 30)).then(() => post(stack.server.webhookUrl, built))]);
    // Assess
    expect([a.status, b.status].sort()).toEqual([200, 503]);
    expect(stack.queue.sent).toHaveLength(2);
  });

  it('archives the raw notification without its signature, and a replay re-creates the same jobs', async () => {
    // Prepare
    const jobId = freshJobId();
    const built = sim.buildNotification({ entryId: '0_archived', eventNotificationJobId: jobId });
    // Act
    await post(stack.server.webhookUrl, built);
    // Assess
    const [key, object] = [...stack.archive.objects.entries()][0]!;
    expect(key).toMatch(new RegExp(`^archive/notifications/\\d{4}/\\d{2}/\\d{2}/${jobId}\\.json$`));
    const doc = ArchivedNotificationSchema.parse(JSON.parse(object.body.toString('utf8')));
    expect(doc).toMatchObject({ version: 2, eventNotificationJobId: String(jobId), bodyFormat: 'json', notification: JSON.parse(built.body.toString('utf8')) });
    expect(object.body.includes(built.body)).toBe(true); // the exact received bytes
    expect(object.body.toString('utf8')).not.toContain(built.headers['X-KALTURA-SIGNATURE']!);
    expect(stack.queue.sent[0]!.message.trigger).toMatchObject({ archiveKey: key });
    const replayQueue = new RecordingJobQueue();
    const replayer = createReceiver({ config: testConfig(), partnerId: 4242, secrets: [SECRET], queue: replayQueue, archive: stack.archive, idempotency: stack.idempotency, logger: stack.logger });
    const replayed = await replayer.replay(object.body);
    expect(replayed.messages.map((m) => m.jobId).sort()).toEqual(stack.queue.jobIds().sort());
    expect(replayQueue.sent).toHaveLength(2);
  });

  it('keeps the partner id it was configured with, so a replay elsewhere gives the same partner jobs', async () => {
    // Prepare: a partner-scoped job, and a notification whose object carries no partnerId (the receiver's own stands in).
    const config = validateConfig({ version: 1, kaltura: { timezone: 'UTC' }, rules: [{ name: 'partner-daily', when: { eventType: 3 }, jobs: [{ kind: 'export', name: 'plays', scope: 'partner', source: { type: 'table', reportType: 1 } }] }] }, 'test.yaml');
    await stack.close();
    stack = await startStack({ config, partnerId: 4242 });
    const jobId = freshJobId();
    // Act
    await post(stack.server.webhookUrl, signedRequest(JSON.stringify(notificationJson({ jobId, object: { partnerId: undefined } }))));
    const object = [...stack.archive.objects.values()][0]!;
    const replayQueue = new RecordingJobQueue();
    const elsewhere = createReceiver({ config, partnerId: 9999, secrets: [SECRET], queue: replayQueue, archive: stack.archive, idempotency: stack.idempotency, logger: stack.logger });
    const replayed = await elsewhere.replay(object.body);
    // Assess
    expect(JSON.parse(object.body.toString('utf8'))).toMatchObject({ version: 2, partnerId: 4242 });
    expect(stack.queue.sent.map((s) => s.message.subject)).toEqual([{ scope: 'partner', id: '4242' }]);
    expect(replayed.messages.map((m) => [m.jobId, m.subject])).toEqual(stack.queue.sent.map((s) => [s.message.jobId, s.message.subject]));
  });

  it('archives a legacy data= body as a string (version 1), and a replay re-creates the same jobs', async () => {
    // Prepare
    const jobId = freshJobId();
    const built = sim.buildNotification({ entryId: '0_archived_legacy', legacy: true, eventNotificationJobId: jobId });
    // Act
    await post(stack.server.webhookUrl, built);
    // Assess
    const object = [...stack.archive.objects.values()][0]!;
    const doc = ArchivedNotificationSchema.parse(JSON.parse(object.body.toString('utf8')));
    expect(doc).toMatchObject({ version: 1, bodyFormat: 'legacy-form', body: built.body.toString('utf8') });
    const replayQueue = new RecordingJobQueue();
    const replayer = createReceiver({ config: testConfig(), partnerId: 4242, secrets: [SECRET], queue: replayQueue, archive: stack.archive, idempotency: stack.idempotency, logger: stack.logger });
    const replayed = await replayer.replay(object.body);
    expect(replayed.messages.map((m) => m.jobId).sort()).toEqual(stack.queue.jobIds().sort());
    expect(replayed.messages.map((m) => m.subject.id)).toEqual(['0_archived_legacy', '0_archived_legacy']);
  });
});

describe('closing the server', () => {
  it('lets a notification being handled finish and answers it, however many times close() is called', async () => {
    // Prepare: a queue slow enough that the notification is still being handled when close() is called.
    const queue = new RecordingJobQueue();
    queue.delayMs = 300;
    const receiver = createReceiver({ config: testConfig(), partnerId: 4242, secrets: [SECRET], queue, archive: new MemoryBlobStore(), idempotency: stack.idempotency, logger: createMemoryLogger('receiver') });
    const server = await startReceiverServer({ receiver, closeGraceMs: 60_000 });
    const built = sim.buildNotification({ entryId: '0_closing', eventNotificationJobId: freshJobId() });
    const answered = post(server.webhookUrl, built);
    await new Promise((r) => setTimeout(r, 100));
    // Act
    const closes = Promise.all([server.close(), server.close()]);
    const outcome = await Promise.race([closes.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still waiting'), 5_000))]);
    // Assess: both calls return once the notification is answered, not after the 60 s grace period.
    expect(outcome).toBe('closed');
    expect((await answered).status).toBe(200);
    expect(queue.sent.map((s) => s.message.subject.id)).toEqual(['0_closing', '0_closing']);
  });
});

describe('replay', () => {
  it('refuses what is not an archived notification, saying what is wrong and queueing nothing', async () => {
    // Prepare
    const queue = new RecordingJobQueue();
    const replayer = createReceiver({ config: testConfig(), partnerId: 4242, secrets: [SECRET], queue, archive: stack.archive, idempotency: stack.idempotency, logger: stack.logger });
    // Act
    const notJson = await replayer.replay('nope').catch((e: Error) => e);
    const wrongShape = await replayer.replay('{"version":1,"body":"{}"}').catch((e: Error) => e);
    // Assess
    expect(notJson).toMatchObject({ name: 'ValidationError', retryable: false });
    expect(String((wrongShape as Error).message)).toContain('eventNotificationJobId');
    expect(queue.sent).toEqual([]);
  });
});

describe('rules, logs and metrics', () => {
  it('answers 200 for a notification that matches no rule, archives and counts it', async () => {
    // Act
    const res = await sim.sendNotification(stack.server.webhookUrl, { entryId: '0_draft', status: 7, eventNotificationJobId: freshJobId() });
    // Assess
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'unmatched', jobs: 0 });
    expect(stack.queue.sent).toEqual([]);
    expect(stack.archive.objects.size).toBe(1);
    expect(outcomes(stack.logger.lines)).toEqual(['unmatched']);
  });

  it('queues the jobs it can when one job of a rule has a placeholder without a value, and logs the other', async () => {
    // Act
    const res = await sim.sendNotification(stack.server.webhookUrl, { entryId: '0_cat', templateSystemName: 'CATEGORY_TAGGED', status: 7, eventNotificationJobId: freshJobId() });
    // Assess
    expect(res.status).toBe(200);
    expect(stack.queue.sent.map((s) => s.message.spec.name)).toEqual(['partner-wide']);
    const errors = stack.logger.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'error');
    expect(errors).toEqual([expect.objectContaining({ rule: 'category-tagged', job: 'needs-category' })]);
    expect(String(errors[0]!.reason)).toContain('{object.categoryId}');
  });

  it('dead-letters a matched job that cannot be built, with the reason and how to replay, so nothing is lost', async () => {
    // Prepare: a receiver with a dead-letter sink
    const letters: DeadLetter[] = [];
    const own = await startStack({ deadLetters: { send: async (letter) => void letters.push(letter) } });
    try {
      const jobId = freshJobId();
      // Act
      const res = await sim.sendNotification(own.server.webhookUrl, { entryId: '0_cat', templateSystemName: 'CATEGORY_TAGGED', status: 7, eventNotificationJobId: jobId });
      // Assess: the buildable job is queued, the other is a dead letter naming the placeholder and the replay command
      expect(res.status).toBe(200);
      expect(own.queue.sent.map((s) => s.message.spec.name)).toEqual(['partner-wide']);
      expect(letters).toHaveLength(1);
      expect(letters[0]!.reason).toContain('{object.categoryId}');
      expect(letters[0]!.reason).toContain(`kreports replay --notification ${jobId}`);
      expect(JSON.parse(letters[0]!.body)).toMatchObject({ type: 'unbuildable-job', rule: 'category-tagged', job: 'needs-category', eventNotificationJobId: String(jobId) });
    } finally {
      await own.close();
    }
  });

  it('answers 503 when the dead letter of an unbuildable job cannot be written, so Kaltura retries', async () => {
    // Prepare
    const own = await startStack({ deadLetters: { send: async () => { throw new Error('DLQ down'); } } });
    try {
      // Act
      const res = await sim.sendNotification(own.server.webhookUrl, { entryId: '0_cat', templateSystemName: 'CATEGORY_TAGGED', status: 7, eventNotificationJobId: freshJobId() });
      // Assess
      expect(res.status).toBe(503);
    } finally {
      await own.close();
    }
  });

  it('routes a live-stream notification to the live-health queue', async () => {
    // Act
    const res = await sim.sendNotification(stack.server.webhookUrl, { entryId: '1_live', eventObjectType: 38, eventNotificationJobId: freshJobId() });
    // Assess
    expect(res.status).toBe(200);
    expect(stack.queue.sent.map((s) => s.kind)).toEqual(['live-health']);
  });

  it('never hands a secret or a signature to its logger, whatever the outcome (checked without the logger\'s redaction)', async () => {
    // Prepare: a logger that redacts nothing, and one request per outcome
    const raw = rawLogger();
    const own = await startStack({ logger: raw });
    try {
      const accepted = sim.buildNotification({ entryId: '0_raw_ok', eventNotificationJobId: freshJobId() });
      const rotated = sim.buildNotification({ entryId: '0_raw_old', secret: PREVIOUS_SECRET, eventNotificationJobId: freshJobId() });
      const forged = sim.buildNotification({ entryId: '0_raw_forged', secret: 'ffffffffffffffffffffffffffffffff', eventNotificationJobId: freshJobId() });
      const notANotification = signedRequest('{"hello":"world"}');
      const queueDown = sim.buildNotification({ entryId: '0_raw_down', eventNotificationJobId: freshJobId() });
      // Act
      const statuses = [];
      for (const request of [accepted, accepted, rotated, forged, notANotification]) statuses.push((await post(own.server.webhookUrl, request)).status);
      own.queue.failNext = 1;
      statuses.push((await post(own.server.webhookUrl, queueDown)).status);
      // Assess
      expect(statuses).toEqual([200, 200, 200, 401, 400, 503]);
      const text = raw.lines.join('\n');
      expect(text).toContain('Notification signed with an older webhook secret');
      for (const secret of [SECRET, PREVIOUS_SECRET]) expect(text).not.toContain(secret);
      for (const request of [accepted, rotated, forged, notANotification, queueDown]) {
        expect(request.headers['X-KALTURA-SIGNATURE']).toMatch(/^[0-9a-f]{64}$/);
        expect(text).not.toContain(request.headers['X-KALTURA-SIGNATURE']);
      }
    } finally {
      await own.close();
    }
  });

  it('logs with the job id as correlation id and never logs a secret or a signature', async () => {
    // Prepare
    const jobId = freshJobId();
    const built = sim.buildNotification({ entryId: '0_logs', eventNotificationJobId: jobId });
    // Act
    await post(stack.server.webhookUrl, built);
    await post(stack.server.webhookUrl, { ...built, headers: { ...built.headers, 'X-KALTURA-SIGNATURE': 'a'.repeat(64) } });
    // Assess
    const text = stack.logger.lines.join('\n');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(PREVIOUS_SECRET);
    expect(text).not.toContain(built.headers['X-KALTURA-SIGNATURE']!);
    const accepted = stack.logger.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'Notification accepted');
    expect(accepted).toMatchObject({ correlationId: String(jobId), jobs: 2 });
  });

  it('answers GET /healthz with 200 JSON', async () => {
    // Act
    const res = await fetch(`${stack.server.url}/healthz`);
    // Assess
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });
});
