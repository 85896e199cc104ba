/**
 * The receiver on plain `node:http` (`npm start`, tests, benchmark): `POST /webhooks/kaltura` runs
 * the same `Receiver.handle` as the Lambda; `GET /healthz` answers 200 with a small JSON status.
 *
 * The body is read up to the receiver's size limit: a declared Content-Length over the limit is
 * answered 413 before reading, a chunked body that grows past it is answered 413 as soon as it does.
 * A client that disconnects mid-body gets nothing queued.
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

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string, close = false): void {
  if (res.headersSent) return;
  // A string body goes out with the headers in one write; a Buffer would take a writev.
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body, 'utf8')), ...(close ? { connection: 'close' } : {}) });
  res.end(body, 'utf8');
}

const json = (value: unknown) => JSON.stringify(value);

function tooLarge(res: ServerResponse, req: IncomingMessage, limit: number): void {
  // Stop reading: answer and close, so a huge upload does not keep the socket busy.
  send(res, 413, { 'content-type': 'application/json' }, json({ error: 'payload-too-large', limitBytes: limit }), true);
  req.unpipe();
  req.resume();
  res.on('finish', () => req.socket.destroySoon?.());
}

async function handleWebhook(req: IncomingMessage, res: ServerResponse, receiver: Receiver): Promise<void> {
  const limit = receiver.maxBodyBytes;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    tooLarge(res, req, limit);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  const complete = await new Promise<boolean>((resolve) => {
    req.on('data', (chunk: Buffer) => {
      if (overflow) return;
      size += chunk.length;
      if (size > limit) {
        overflow = true;
        resolve(true);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(true));
    req.on('aborted', () => resolve(false));
    req.on('error', () => resolve(false));
    req.on('close', () => resolve(req.complete));
  });
  if (overflow) {
    tooLarge(res, req, limit);
    return;
  }
  if (!complete) return; // the client went away mid-body: nothing to answer, nothing queued
  // One chunk (a few KB body, the usual case) is handed over as is: node:http gives each body chunk its own
  // copy of the bytes (its own ArrayBuffer), so nothing else writes to it.
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  const response = await receiver.handle({ headers: req.headers, body });
  send(res, response.status, response.headers, response.body);
}

export async function startReceiverServer(options: ReceiverServerOptions): Promise<ReceiverServer> {
  const host = options.host ?? '127.0.0.1';
  const startedAt = new Date().toISOString();
  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === WEBHOOK_PATH) {
      if (req.method !== 'POST') {
        send(res, 405, { 'content-type': 'application/json', allow: 'POST' }, json({ error: 'method-not-allowed' }));
        req.resume();
        return;
      }
      const work = handleWebhook(req, res, options.receiver).catch(() => send(res, 503, { 'content-type': 'application/json' }, json({ error: 'unavailable' })));
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
      return;
    }
    req.resume();
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      send(res, 200, { 'content-type': 'application/json' }, json({ status: 'ok', startedAt, ...options.health?.() }));
      return;
    }
    send(res, 404, { 'content-type': 'application/json' }, json({ error: 'not-found', endpoints: [`POST ${WEBHOOK_PATH}`, 'GET /healthz'] }));
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
      await Promise.race([Promise.allSettled([...inFlight]), new Promise<void>((r) => (timer = setTimeout(r, options.closeGraceMs ?? 10_000)))]);
      clearTimeout(timer);
      server.closeAllConnections();
      await closed;
    },
  };
}
