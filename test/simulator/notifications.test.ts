import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';

let sim: Simulator;
let receiver: Server;
let receiverUrl: string;
const received: Array<{ headers: IncomingHttpHeaders; body: Buffer }> = [];
let answerWith = 200;

beforeAll(async () => {
  sim = await startSimulator();
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(answerWith, { 'Content-Type': 'text/plain' });
      res.end(answerWith === 200 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/kaltura`;
});
afterAll(async () => {
  await sim.close();
  await new Promise((r) => receiver.close(r));
});

const sign = (algo: string, secret: string, body: Buffer) => createHash(algo).update(Buffer.concat([Buffer.from(secret), body])).digest('hex');

describe('buildNotification', () => {
  it('builds a PHP-encoded KalturaHttpNotification, fields in server order, signed sha256(adminSecret + body)', () => {
    const { body, headers } = sim.buildNotification({ entryId: '1_ready', entryName: 'Café / "launch"', eventNotificationJobId: 42 });
    const text = body.toString('utf8');
    const parsed = JSON.parse(text) as Record<string, unknown> & { object: Record<string, unknown> };
    expect(Object.keys(parsed)).toEqual(['object', 'eventObjectType', 'eventNotificationJobId', 'templateId', 'templateName', 'templateSystemName', 'eventType', 'objectType']);
    expect(parsed).toMatchObject({ eventObjectType: 1, eventNotificationJobId: 42, templateSystemName: 'HTTP_ENTRY_STATUS_EQUALS', eventType: 3, objectType: 'KalturaHttpNotification' });
    expect(parsed.object).toMatchObject({ id: '1_ready', name: 'Café / "launch"', status: 2, partnerId: sim.partnerId, objectType: 'KalturaMediaEntry' });
    expect(Object.keys(parsed.object).at(-1)).toBe('objectType');
    expect(text).toContain('Caf\\u00e9 \\/ \\"launch\\"');
    expect(headers['Content-Type']).toBe('application/json');
    expect(headers['X-KALTURA-HASH-ALGO']).toBe('sha256');
    expect(headers['X-KALTURA-SIGNATURE']).toBe(sign('sha256', sim.adminSecret, body));
  });

  it('signs with sha1/sha512, omits the algo header on request, signs with another secret', () => {
    const sha1 = sim.buildNotification({ entryId: '1_a', algo: 'sha1', omitAlgoHeader: true });
    expect(sha1.headers['X-KALTURA-HASH-ALGO']).toBeUndefined();
    expect(sha1.headers['X-KALTURA-SIGNATURE']).toBe(sign('sha1', sim.adminSecret, sha1.body));
    const sha512 = sim.buildNotification({ entryId: '1_a', algo: 'sha512', secret: 'rotated-secret' });
    expect(sha512.headers['X-KALTURA-SIGNATURE']).toBe(sign('sha512', 'rotated-secret', sha512.body));
  });

  it('legacy body is data=<urlencoded JSON>, still labelled application/json, signed over those bytes', () => {
    const { body, headers } = sim.buildNotification({ entryId: '1_legacy', legacy: true, algo: 'sha1' });
    const text = body.toString('utf8');
    expect(text.startsWith('data=%7B%22object%22')).toBe(true);
    expect(headers['Content-Type']).toBe('application/json');
    const json = JSON.parse(decodeURIComponent(text.slice(5).replace(/\+/g, ' '))) as { object: { id: string } };
    expect(json.object.id).toBe('1_legacy');
    expect(headers['X-KALTURA-SIGNATURE']).toBe(sign('sha1', sim.adminSecret, body));
  });

  it('live-stream notifications default to KalturaLiveStreamEntry; object overrides apply', () => {
    const { body } = sim.buildNotification({ entryId: '1_unhealthy', eventObjectType: 38, templateSystemName: 'EXPLICIT_LIVE_PUSH_NOTIFICATIONS', object: { status: 7, tags: 'x' } });
    const parsed = JSON.parse(body.toString('utf8')) as { eventObjectType: number; object: Record<string, unknown> };
    expect(parsed.eventObjectType).toBe(38);
    expect(parsed.object).toMatchObject({ objectType: 'KalturaLiveStreamEntry', status: 7, tags: 'x' });
  });

  it('gives fresh increasing job ids by default', () => {
    const a = JSON.parse(sim.buildNotification({ entryId: '1_a' }).body.toString()) as { eventNotificationJobId: number };
    const b = JSON.parse(sim.buildNotification({ entryId: '1_a' }).body.toString()) as { eventNotificationJobId: number };
    expect(b.eventNotificationJobId).toBeGreaterThan(a.eventNotificationJobId);
  });
});

describe('sendNotification', () => {
  it('POSTs the exact bytes and headers once and reports the answer', async () => {
    received.length = 0;
    answerWith = 200;
    const r = await sim.sendNotification(receiverUrl, { entryId: '1_send', eventNotificationJobId: 7 });
    expect(r).toEqual({ status: 200, body: 'ok' });
    expect(received).toHaveLength(1);
    const got = received[0];
    expect(got?.headers['x-kaltura-signature']).toBe(sign('sha256', sim.adminSecret, got?.body ?? Buffer.alloc(0)));
    expect(got?.headers['x-kaltura-hash-algo']).toBe('sha256');
    expect(got?.headers['content-type']).toBe('application/json');
    expect(got?.headers['user-agent']).toContain('Mozilla/5.0');
  });

  it('does not retry on a failure status', async () => {
    received.length = 0;
    answerWith = 503;
    const r = await sim.sendNotification(receiverUrl, { entryId: '1_send' });
    expect(r.status).toBe(503);
    expect(received).toHaveLength(1);
    answerWith = 200;
  });
});
