/**
 * The Kaltura transport with undici loaded on first use: a dispatcher the caller passes is used for
 * every request and stays the caller's (closing the transport leaves it open); without one, the
 * transport's own keep-alive Agent is created on the first request and closed with the transport.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import * as undiciIndex from 'undici';
import { Agent, type Dispatcher } from 'undici';
import { loadUndici } from '../../shared/http/undici-lazy.js';
import { Transport } from '../../shared/kaltura/transport.js';
import { KalturaTransportError } from '../../shared/kaltura/errors.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => {
    s.closeAllConnections();
    s.close(() => resolve());
  })));
});

async function startServer(): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url === '/echo' || req.url?.startsWith('/echo?')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString('utf8'), type: req.headers['content-type'] })));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('pong');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An Agent that counts the requests dispatched through it. */
class CountingAgent extends Agent {
  dispatched = 0;
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.dispatched++;
    return super.dispatch(options, handler);
  }
}

const options = { timeoutMs: 2000, maxRetries: 0, retryBaseDelayMs: 1 };

describe('transport dispatcher', () => {
  it('sends every request through a dispatcher the caller passes, and leaves it open on close', async () => {
    // Prepare
    const url = await startServer();
    const agent = new CountingAgent();
    const transport = new Transport({ ...options, dispatcher: agent });
    // Act
    const first = await transport.text({ url, call: 'test.first' });
    const streamed = await transport.stream({ url, call: 'test.stream' });
    const body = await streamed.body.toArray();
    await transport.close();
    const afterClose = await new Transport({ ...options, dispatcher: agent }).text({ url, call: 'test.again' });
    // Assess
    expect(first.text).toBe('pong');
    expect(Buffer.concat(body as Buffer[]).toString()).toBe('pong');
    expect(afterClose.text).toBe('pong');
    expect(agent.dispatched).toBe(3);
    await agent.close();
  });

  it('creates its own agent on the first request and closes it with the transport', async () => {
    // Prepare
    const url = await startServer();
    const transport = new Transport(options);
    // Act
    const answer = await transport.text({ url, call: 'test.first' });
    await transport.close();
    const afterClose = await transport.text({ url, call: 'test.closed' }).catch((e: unknown) => e);
    // Assess
    expect(answer.text).toBe('pong');
    expect(afterClose).toBeInstanceOf(KalturaTransportError);
  });

  it('closes cleanly when it never sent anything', async () => {
    const transport = new Transport(options);
    await expect(transport.close()).resolves.toBeUndefined();
  });
});

/**
 * `loadUndici()` loads two undici files instead of the package's index (cold start). These tests
 * fail after an undici upgrade that moves or changes them, before a Lambda would.
 */
describe('loadUndici: the slim undici', () => {
  it('gives the package\'s own Agent class', async () => {
    const slim = await loadUndici();
    expect(slim.Agent).toBe(undiciIndex.Agent);
  });

  it('requests like the package\'s request: method, path with query, body, headers', async () => {
    // Prepare
    const url = await startServer();
    const slim = await loadUndici();
    const ask = (request: (url: string, options: { method: 'POST'; body: string; headers: Record<string, string> }) => Promise<undiciIndex.Dispatcher.ResponseData>) =>
      request(`${url}/echo?a=1&b=two`, { method: 'POST', body: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }).then(async (r) => ({ status: r.statusCode, body: await r.body.json() }));
    // Act
    const ours = await ask(slim.request);
    const theirs = await ask(undiciIndex.request);
    const get = await slim.request(`${url}/echo`).then((r) => r.body.json());
    // Assess
    expect(ours).toEqual(theirs);
    expect(ours).toEqual({ status: 200, body: { method: 'POST', url: '/echo?a=1&b=two', body: 'x=1', type: 'application/x-www-form-urlencoded' } });
    expect(get).toMatchObject({ method: 'GET', url: '/echo' });
  });

  it('uses the dispatcher it is given, and honours an abort signal', async () => {
    // Prepare
    const url = await startServer();
    const slim = await loadUndici();
    const agent = new CountingAgent();
    // Act
    const answer = await slim.request(`${url}/`, { dispatcher: agent }).then((r) => r.body.text());
    const dispatched = agent.dispatched;
    const aborted = await slim.request(`${url}/`, { dispatcher: agent, signal: AbortSignal.abort() }).catch((e: unknown) => e);
    // Assess
    expect(answer).toBe('pong');
    expect(dispatched).toBe(1);
    expect((aborted as Error).name).toBe('AbortError');
    await agent.close();
  });
});
