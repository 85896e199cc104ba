/**
 * The receiver on plain `node:http` (`npm start`, tests, benchmark): `POST /webhooks/kaltura` runs
 * the same `Receiver.handle` as the Lambda; `GET /healthz` answers 200 with a small JSON status.
 *
 * The body is read up to the receiver's size limit: a declared Content-Length over the limit is
 * answered 413 before reading, a chunked body that grows past it is answered 413 as soon as it does.
 * Either way the rest of the body is then read and thrown away (up to DRAIN_MAX_BYTES in all and
 * DRAIN_MAX_MS) before the connection closes: closing a socket with unread bytes in it makes the
 * kernel send a reset, and a client still sending (undici, proxies, Kaltura's curl) loses the 413
 * it had not read yet. A body larger than that is cut off as before. A client that asks
 * `Expect: 100-continue` with an oversize Content-Length gets the 413 instead of the 100 and need
 * not send the body at all. A client that disconnects mid-body gets nothing queued.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Receiver } from './receiver.js';

export const WEBHOOK_PATH = '/webhooks/kaltura';

export interface ReceiverServerOptions {
  readonly host?: string;
  readonly port?: number;
  readonly receiver: Receiver;
  /** Extra fields for `GET /healthz`. */
  readonly health?: () => Record<string, unknown>;
  /** On close, how long notifications being handled get to finish. Default 10 s. */
  readonly closeGraceMs?: number;
  /** After a 413, how much more of the body is read and discarded before closing. Defaults DRAIN_MAX_BYTES, DRAIN_MAX_MS. */
  readonly oversizeDrain?: Partial<DrainLimits>;
}

export interface DrainLimits {
  /** Body bytes in all (those read before the 413 included). */
  readonly maxBytes: number;
  readonly maxMs: number;
}

export interface ReceiverServer {
  readonly url: string;
  /** `${url}/webhooks/kaltura` */
  readonly webhookUrl: string;
  readonly port: number;
  readonly server: Server;
  /** Stops accepting, lets notifications being handled finish (up to `closeGraceMs`), then closes every connection. */
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, headers: Readonly<Record<string, string>>, body: string, close = false): void {
  if (res.headersSent) return;
  // One plain object handed to writeHead (node's fast path when no header was set before), and a
  // string body, which goes out with the headers in one write.
  const all: Record<string, string> = {};
  for (const name in headers) all[name] = headers[name]!;
  all['content-length'] = String(Buffer.byteLength(body, 'utf8'));
  if (close) all.connection = 'close';
  res.writeHead(status, all);
  res.end(body, 'utf8');
}

const json = (value: unknown) => JSON.stringify(value);
const JSON_TYPE = { 'content-type': 'application/json' } as const;

/**
 * After a 413, how much of the rest of the body is read and discarded so the answer reaches the client
 * (see the header). Bounded in bytes and time: past either, the socket is closed as it is.
 */
export const DRAIN_MAX_BYTES = 16 * 1024 * 1024;
export const DRAIN_MAX_MS = 10_000;
const DEFAULT_DRAIN: DrainLimits = { maxBytes: DRAIN_MAX_BYTES, maxMs: DRAIN_MAX_MS };

/**
 * Answers the receiver's 413 (logged and counted there) with `Connection: close`. The answer's bytes
 * go out at once, but `end()` waits until the request body has been read to its end: ending the
 * response is what makes node close the socket, and it must not close with unread bytes in it.
 * `alreadyRead` is what the body listeners took before the limit was crossed.
 */
function tooLarge(res: ServerResponse, req: IncomingMessage, receiver: Receiver, limits: DrainLimits, bytesSeen: number, alreadyRead: number): void {
  const response = receiver.rejectTooLarge(bytesSeen);
  if (req.complete) return send(res, response.status, response.headers, response.body, true);
  const all: Record<string, string> = { ...response.headers, 'content-length': String(Buffer.byteLength(response.body, 'utf8')), connection: 'close' };
  res.writeHead(response.status, all);
  res.write(response.body, 'utf8');
  let drained = alreadyRead;
  const finish = () => {
    clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  const cutOff = () => {
    clearTimeout(timer);
    req.socket.destroy();
  };
  const timer = setTimeout(cutOff, limits.maxMs);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > limits.maxBytes) cutOff();
  });
  req.once('end', finish);
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/** What a webhook request is reading; kept on the request so the listeners can be shared functions. */
interface BodyRead {
  readonly res: ServerResponse;
  readonly receiver: Receiver;
  readonly drain: DrainLimits;
  /** Called once whatever happens, for the server's count of notifications in flight. */
  readonly done: () => void;
  first: Buffer | undefined;
  more: Buffer[] | undefined;
  size: number;
  settled: boolean;
}
const kRead = Symbol('webhook body read');
type WebhookRequest = IncomingMessage & { [kRead]: BodyRead };

/**
 * Reads the body (up to the receiver's limit), then hands it to the receiver and answers.
 *
 * The listeners are module-level functions with their state on the request, not closures per
 * request: this runs for every notification, and the bench (bench/receiver.bench.ts) counts every
 * allocation of it. No 'error' listener is needed: node emits 'error' on a request only to
 * listeners it has, and an aborted request still closes.
 */
function handleWebhook(req: IncomingMessage, res: ServerResponse, receiver: Receiver, drain: DrainLimits, done: () => void): void {
  const limit = receiver.maxBodyBytes;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    tooLarge(res, req, receiver, drain, Number(declared), 0);
    return done();
  }
  (req as WebhookRequest)[kRead] = { res, receiver, drain, done, first: undefined, more: undefined, size: 0, settled: false };
  req.on('data', onBodyData);
  req.on('end', onBodyEnd);
  req.on('close', onRequestClose);
}

function onBodyData(this: WebhookRequest, chunk: Buffer): void {
  const read = this[kRead];
  if (read.settled) return;
  read.size += chunk.length;
  if (read.size > read.receiver.maxBodyBytes) {
    read.settled = true;
    read.first = read.more = undefined; // the body is refused: let its chunks go
    tooLarge(read.res, this, read.receiver, read.drain, read.size, read.size);
    return read.done();
  }
  if (read.first === undefined) read.first = chunk;
  else (read.more ??= [read.first]).push(chunk);
}

function onBodyEnd(this: WebhookRequest): void {
  const read = this[kRead];
  if (read.settled) return;
  read.settled = true;
  // One chunk (a few KB body, the usual case) is handed over as is: node:http gives each body chunk its own
  // copy of the bytes (its own ArrayBuffer), so nothing else writes to it.
  const body = read.more ? Buffer.concat(read.more, read.size) : (read.first ?? Buffer.alloc(0));
  void answer(read, this.headers, body);
}

/** The client went away mid-body: nothing to answer, nothing queued. (After 'end', a no-op.) */
function onRequestClose(this: WebhookRequest): void {
  const read = this[kRead];
  if (read.settled) return;
  read.settled = true;
  read.done();
}

async function answer(read: BodyRead, headers: IncomingMessage['headers'], body: Buffer): Promise<void> {
  try {
    const response = await read.receiver.handle({ headers, body });
    send(read.res, response.status, response.headers, response.body);
  } catch {
    try {
      send(read.res, 503, JSON_TYPE, json({ error: 'unavailable' }));
    } catch {
      read.res.destroy(); // the connection is gone: nothing more to say
    }
  } finally {
    read.done();
  }
}

export async function startReceiverServer(options: ReceiverServerOptions): Promise<ReceiverServer> {
  const host = options.host ?? '127.0.0.1';
  const startedAt = new Date().toISOString();
  const drain: DrainLimits = { ...DEFAULT_DRAIN, ...options.oversizeDrain };
  // Notifications being handled, so close() can let them finish (every close() call waits on the same drain).
  let inFlight = 0;
  let drainedWaiters: Array<() => void> = [];
  const finished = () => {
    if (--inFlight > 0) return;
    const waiters = drainedWaiters;
    drainedWaiters = [];
    for (const resolve of waiters) resolve();
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (path === WEBHOOK_PATH) {
      if (req.method !== 'POST') {
        send(res, 405, { ...JSON_TYPE, allow: 'POST' }, json({ error: 'method-not-allowed' }));
        req.resume();
        return;
      }
      inFlight++;
      handleWebhook(req, res, options.receiver, drain, finished);
      return;
    }
    req.resume();
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      send(res, 200, JSON_TYPE, json({ status: 'ok', startedAt, ...options.health?.() }));
      return;
    }
    send(res, 404, JSON_TYPE, json({ error: 'not-found', endpoints: [`POST ${WEBHOOK_PATH}`, 'GET /healthz'] }));
  };
  const server = createServer(onRequest);
  // `Expect: 100-continue` (curl sends it for large bodies): an oversize Content-Length gets its 413
  // instead of the "100 Continue", so the client need not send the body at all. Anything else is let
  // in as node does without this listener.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = req.headers['content-length'];
    if (declared === undefined || !(Number(declared) > options.receiver.maxBodyBytes)) res.writeContinue();
    onRequest(req, res);
  });
  // Kaltura's batch worker and load balancers reuse connections; keep them a little longer than theirs.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const url = `http://${shownHost}:${port}`;
  return {
    url,
    webhookUrl: `${url}${WEBHOOK_PATH}`,
    port,
    server,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const drained = inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => drainedWaiters.push(r));
      await Promise.race([drained, new Promise<void>((r) => (timer = setTimeout(r, options.closeGraceMs ?? 10_000)))]);
      clearTimeout(timer);
      server.closeAllConnections();
      await closed;
    },
  };
}
