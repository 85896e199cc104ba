/**
 * Oversize bodies through real sockets: every kind of client must see the 413, not a reset.
 *
 * The trap: answering and closing while the client is still sending leaves unread bytes in the
 * server's socket, the kernel answers them with a reset, and a client that had not read the 413 yet
 * (undici while it writes, a proxy or curl that reads only after sending) loses it. The server reads
 * and discards the rest of the body (bounded) before closing; these tests hold it to that.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { request as httpRequest } from 'node:http';
import { notificationJson, outcomes, post, SECRET, signedRequest, startStack, testConfig, type Stack } from './helpers.js';
import { createReceiver } from '../../shared/webhook/receiver.js';
import { startReceiverServer, DRAIN_MAX_BYTES } from '../../shared/webhook/receiver-http-server.js';

const TOO_LARGE = { error: 'payload-too-large', limitBytes: 256 * 1024 };
const MB = 1024 * 1024;

let stack: Stack;
let nextJobId = 950_000_000;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.close();
});

/** A signed-looking request of `size` bytes (the 413 comes before the signature is looked at). */
function oversizeBody(size: number): Buffer {
  return Buffer.alloc(size, 0x78);
}

interface RawOutcome {
  /** Everything the server sent, as text. */
  readonly received: string;
  /** Body bytes the client managed to write before it stopped (or was stopped). */
  readonly sent: number;
  /** The first socket error the client saw, if any (EPIPE, ECONNRESET). */
  readonly error?: string;
}

/**
 * A raw HTTP/1.1 client. `head` is sent first, then `total` body bytes (a huge one: until the server
 * stops it), chunked or not. With `readAfterSending`, it does not read anything until it has written
 * everything, as curl, proxies and many load testers do. Resolves when the socket closes.
 */
function rawPost(port: number, options: { total: number; chunked?: boolean; readAfterSending?: boolean; stallAfter?: number; extraHeaders?: string[] }): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    let error: string | undefined;
    let closed = false;
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', (e) => (error ??= (e as NodeJS.ErrnoException).code ?? e.message));
    socket.on('close', () => {
      closed = true;
      resolve({ received, sent, ...(error ? { error } : {}) });
    });
    socket.on('connect', async () => {
      if (options.readAfterSending) socket.pause();
      const length = options.chunked ? ['Transfer-Encoding: chunked'] : [`Content-Length: ${options.total}`];
      socket.write([`POST /webhooks/kaltura HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Content-Type: application/json', ...length, ...(options.extraHeaders ?? []), '', ''].join('\r\n'));
      const piece = Buffer.alloc(64 * 1024, 0x78);
      const chunkHead = Buffer.from(`${piece.length.toString(16)}\r\n`);
      const stopAt = Math.min(options.total, options.stallAfter ?? Infinity);
      while (sent < stopAt && !closed) {
        const ok = options.chunked ? (socket.write(chunkHead), socket.write(piece), socket.write('\r\n')) : socket.write(piece);
        sent += piece.length;
        if (!ok) await new Promise((r) => (socket.once('drain', r), socket.once('close', r)));
      }
      if (closed) return;
      if (sent >= options.total && options.chunked) socket.write('0\r\n\r\n');
      socket.resume();
      if (options.stallAfter === undefined) socket.end();
    });
  });
}

const statusLine = (text: string) => text.split('\r\n')[0];
const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as unknown;

describe('oversize bodies', () => {
  it('gives undici fetch the 413 for a 12 MB body with a Content-Length, and keeps serving', async () => {
    // Prepare
    const big = signedRequest(oversizeBody(12 * MB));
    // Act
    const refused = await post(stack.server.webhookUrl, big);
    const after = await post(stack.server.webhookUrl, signedRequest(JSON.stringify(notificationJson({ jobId: ++nextJobId }))));
    // Assess
    expect(refused.status).toBe(413);
    expect(refused.json).toEqual(TOO_LARGE);
    expect(after.status).toBe(200);
    expect(outcomes(stack.logger.lines)).toEqual(['rejected-body', 'accepted']);
  });

  it('gives undici fetch the 413 for a 12 MB chunked body that grows past the limit', async () => {
    // Prepare: pieces handed over one at a time, as a streaming client or proxy sends them.
    const piece = oversizeBody(256 * 1024);
    let left = 48;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (left-- > 0) controller.enqueue(piece);
        else controller.close();
      },
    });
    // Act
    const res = await fetch(stack.server.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
    // Assess
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual(TOO_LARGE);
  });

  it.each([
    { chunked: false, label: 'Content-Length' },
    { chunked: true, label: 'chunked' },
  ])('gives a client that reads only after sending 12 MB ($label) the 413, with no reset while it sends', async ({ chunked }) => {
    // Act
    const outcome = await rawPost(stack.server.port, { total: 12 * MB, chunked, readAfterSending: true });
    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.sent).toBeGreaterThanOrEqual(12 * MB);
    expect(statusLine(outcome.received)).toBe('HTTP/1.1 413 Payload Too Large');
    expect(outcome.received.toLowerCase()).toContain('connection: close');
    expect(bodyOf(outcome.received)).toEqual(TOO_LARGE);
  });

  it('gives a raw socket that never stops writing the 413, then cuts it off after the drain cap', async () => {
    // Act
    const outcome = await rawPost(stack.server.port, { total: 1024 * MB });
    // Assess: the answer arrived; the server stopped reading past the cap (plus what the socket buffers held).
    expect(statusLine(outcome.received)).toBe('HTTP/1.1 413 Payload Too Large');
    expect(bodyOf(outcome.received)).toEqual(TOO_LARGE);
    expect(outcome.sent).toBeLessThan(DRAIN_MAX_BYTES + 32 * MB);
    expect(outcome.error).toMatch(/ECONNRESET|EPIPE/);
  });

  it('closes a body that stalls after the 413 once the drain time is up', async () => {
    // Prepare: a server whose drain gives up quickly (the default is 10 s).
    const receiver = createReceiver({ config: testConfig(), partnerId: 4242, secrets: [SECRET], queue: stack.queue, archive: stack.archive, idempotency: stack.idempotency, logger: stack.logger });
    const server = await startReceiverServer({ receiver, oversizeDrain: { maxMs: 200 } });
    try {
      // Act: 1 MB announced, 512 KB sent, then nothing (the socket stays open on the client's side).
      const outcome = await rawPost(server.port, { total: MB, stallAfter: 512 * 1024 });
      // Assess: the answer came, and the server, not the client, ended the connection.
      expect(statusLine(outcome.received)).toBe('HTTP/1.1 413 Payload Too Large');
      expect(bodyOf(outcome.received)).toEqual(TOO_LARGE);
    } finally {
      await server.close();
    }
  });

  it('answers Expect: 100-continue with an oversize Content-Length by the 413 instead of the 100', async () => {
    // Act: node's own client waits for "100 Continue" before sending the body.
    const result = await new Promise<{ status: number; body: string; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = httpRequest(stack.server.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(12 * MB), expect: '100-continue' } });
      req.on('continue', () => {
        continued = true;
        req.end(oversizeBody(12 * MB));
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, continued }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    // Assess
    expect(result.continued).toBe(false);
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body)).toEqual(TOO_LARGE);
  });

  it('still lets a normal notification in after Expect: 100-continue', async () => {
    // Prepare
    const signed = signedRequest(JSON.stringify(notificationJson({ jobId: ++nextJobId })));
    // Act
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(stack.server.webhookUrl, { method: 'POST', headers: { ...signed.headers, 'content-length': String(signed.body.length), expect: '100-continue' } });
      req.on('continue', () => req.end(signed.body));
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    // Assess
    expect(status).toBe(200);
    expect(stack.queue.sent).toHaveLength(2);
  });
});
