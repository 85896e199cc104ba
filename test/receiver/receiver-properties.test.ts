/**
 * Property-based tests of the receiver handler: whatever bytes and headers arrive, it answers with a
 * status of the contract (200, 400, 401, 413, 503), never throws, and never queues anything that is
 * not signed with a configured secret.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import { createReceiver } from '../../shared/webhook/receiver.js';
import { signNotification } from '../../shared/webhook/signature.js';
import { MemoryBlobStore, memoryIdempotencyStore, notificationJson, PREVIOUS_SECRET, RecordingJobQueue, SECRET, testConfig } from './helpers.js';

const CONTRACT = new Set([200, 400, 401, 413, 503]);

function makeReceiver(maxBodyBytes = 4096) {
  const queue = new RecordingJobQueue();
  const archive = new MemoryBlobStore();
  const receiver = createReceiver({
    config: testConfig(),
    partnerId: 4242,
    secrets: [SECRET, PREVIOUS_SECRET],
    queue,
    archive,
    idempotency: memoryIdempotencyStore(),
    logger: createMemoryLogger('prop'),
    maxBodyBytes,
  });
  return { receiver, queue, archive };
}

const headerName = fc.oneof(
  fc.constantFrom('X-KALTURA-SIGNATURE', 'x-kaltura-signature', 'X-KALTURA-HASH-ALGO', 'x-kaltura-hash-algo', 'Content-Type', 'content-length'),
  fc.string({ minLength: 1, maxLength: 20 }),
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 140 }),
  fc.constantFrom('sha1', 'sha256', 'sha512', 'SHA256', 'md5', '', 'application/json'),
  fc.stringMatching(/^[0-9a-f]{40}$|^[0-9a-f]{64}$|^[0-9a-f]{128}$/),
  fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 6 });

/** Bodies near the real thing as well as noise: notifications, mutations of them, legacy and XML forms, bytes. */
const notificationLike = fc
  .record({
    jobId: fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.string({ maxLength: 12 })),
    eventType: fc.oneof(fc.integer({ min: -5, max: 20 }), fc.string({ maxLength: 4 })),
    eventObjectType: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.string({ maxLength: 40 })),
    status: fc.oneof(fc.integer(), fc.string({ maxLength: 3 })),
    templateSystemName: fc.string({ maxLength: 30 }),
    object: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  })
  .map((o) => JSON.stringify(notificationJson(o)));
const bodyText = fc.oneof(
  notificationLike,
  notificationLike.map((t) => `data=${encodeURIComponent(t)}`),
  notificationLike.chain((t) => fc.nat({ max: t.length }).map((n) => t.slice(0, n))),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 300 }).map((s) => `data=<notification>${s}</notification>`),
  fc.string({ maxLength: 300 }),
);
const body = fc.oneof(bodyText.map((t) => Buffer.from(t, 'utf8')), fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)), fc.constant(Buffer.alloc(5000, 0x7b)));

describe('receiver properties', () => {
  it('answers every unsigned (or wrongly signed) input inside the contract and queues nothing', async () => {
    await fc.assert(
      fc.asyncProperty(body, headers, async (bytes, hdrs) => {
        // Prepare
        const { receiver, queue, archive } = makeReceiver();
        // Act
        const res = await receiver.handle({ headers: hdrs, body: bytes });
        // Assess: the only way in is a valid signature with a configured secret; random headers do not have one
        // (a random 40/64/128-hex string matching sha(secret+body) is not going to happen).
        expect(CONTRACT.has(res.status)).toBe(true);
        expect([401, 413]).toContain(res.status);
        expect(queue.sent).toEqual([]);
        expect(archive.objects.size).toBe(0);
        expect(() => JSON.parse(res.body)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it('answers every signed input with 200, 400 or 413, never throws, and queues only for 200', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('sha1', 'sha256', 'sha512'), fc.boolean(), headers, async (bytes, algo, current, extra) => {
        // Prepare
        const { receiver, queue } = makeReceiver();
        const signed: Record<string, string | string[]> = { ...extra, 'X-KALTURA-SIGNATURE': signNotification(current ? SECRET : PREVIOUS_SECRET, bytes, algo), 'X-KALTURA-HASH-ALGO': algo };
        for (const k of Object.keys(extra)) if (/^x-kaltura-/i.test(k) && k !== 'X-KALTURA-SIGNATURE' && k !== 'X-KALTURA-HASH-ALGO') delete signed[k];
        // Act
        const res = await receiver.handle({ headers: signed, body: bytes });
        // Assess
        expect([200, 400, 413]).toContain(res.status);
        if (res.status !== 200) expect(queue.sent).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('never lets a modified body through with the original signature', async () => {
    await fc.assert(
      fc.asyncProperty(notificationLike, fc.nat(), fc.integer({ min: 1, max: 255 }), async (text, at, delta) => {
        // Prepare: sign the original, then flip one byte.
        const { receiver, queue } = makeReceiver(1 << 20);
        const original = Buffer.from(text, 'utf8');
        const signature = signNotification(SECRET, original, 'sha256');
        const tampered = Buffer.from(original);
        const i = at % tampered.length;
        tampered[i] = (tampered[i]! + delta) % 256;
        // Act
        const res = await receiver.handle({ headers: { 'x-kaltura-signature': signature, 'x-kaltura-hash-algo': 'sha256' }, body: tampered });
        // Assess
        expect(res.status).toBe(401);
        expect(queue.sent).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
