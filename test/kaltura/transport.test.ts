/**
 * The transport's odd cases over real HTTP against tiny node:http servers: 5xx, timeouts,
 * connections dropped (also a reused keep-alive socket the server closed), permanent errors,
 * truncated downloads, INVALID_KS renewal, and KS values kept out of error messages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createKalturaClient, type KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { KalturaApiError, KalturaTransportError } from '../../shared/kaltura/errors.js';
import { json, startTinyServer, type TinyServer } from './helpers/tiny-server.js';

const KS_A = 'djJ8NDI0MnxBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
const KS_B = 'djJ8NDI0MnxCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC';
const SECRET = '0123456789abcdef0123456789abcdef';

let server: TinyServer | undefined;
let client: KalturaClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

function makeClient(url: string, extra: Partial<Parameters<typeof createKalturaClient>[0]> = {}): KalturaClient {
  client = createKalturaClient({ serviceUrl: `${url}/api_v3`, partnerId: 4242, adminSecret: SECRET, retryBaseDelayMs: 5, timeoutMs: 2000, ...extra });
  return client;
}

const isAction = (path: string, action: string) => path.endsWith(`/action/${action}`);
const calls = (s: TinyServer, action: string) => s.requests.filter((r) => isAction(r.path, action)).length;

describe('transport retries', () => {
  it('retries a 503 and then succeeds', async () => {
    // Prepare
    let failures = 2;
    server = await startTinyServer((req, res) => {
      if (isAction(req.path, 'start')) return json(res, KS_A);
      if (failures-- > 0) {
        res.writeHead(503).end('busy');
        return;
      }
      json(res, { ok: 1 });
    });
    const api = makeClient(server.url);
    // Act
    const value = await api.call('baseentry', 'get', { entryId: '1_a' });
    // Assess
    expect(value).toEqual({ ok: 1 });
    expect(calls(server, 'get')).toBe(3);
  });

  it('gives up after maxRetries with a retryable KalturaTransportError', async () => {
    server = await startTinyServer((req, res) => (isAction(req.path, 'start') ? json(res, KS_A) : void res.writeHead(500).end()));
    const api = makeClient(server.url, { maxRetries: 2 });
    const error = await api.call('baseentry', 'get', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KalturaTransportError);
    expect((error as KalturaTransportError).retryable).toBe(true);
    expect((error as KalturaTransportError).details.status).toBe(500);
    expect(calls(server, 'get')).toBe(3);
  });

  it('does not retry a 404 (permanent)', async () => {
    server = await startTinyServer((req, res) => (isAction(req.path, 'start') ? json(res, KS_A) : void res.writeHead(404).end()));
    const api = makeClient(server.url);
    const error = await api.call('baseentry', 'get', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KalturaTransportError', retryable: false });
    expect(calls(server, 'get')).toBe(1);
  });

  it('times out a slow answer and retries it', async () => {
    let slow = 1;
    server = await startTinyServer((req, res) => {
      if (isAction(req.path, 'start')) return json(res, KS_A);
      if (slow-- > 0) {
        setTimeout(() => json(res, { late: true }), 1500);
        return;
      }
      json(res, { late: false });
    });
    const api = makeClient(server.url, { timeoutMs: 200 });
    await expect(api.call('baseentry', 'get', {})).resolves.toEqual({ late: false });
    expect(calls(server, 'get')).toBe(2);
  });

  it('retries a dropped connection (ECONNRESET / socket closed)', async () => {
    let drops = 1;
    server = await startTinyServer((req, res) => {
      if (isAction(req.path, 'start')) return json(res, KS_A);
      if (drops-- > 0) return void res.socket?.destroy();
      json(res, 'fine');
    });
    const api = makeClient(server.url);
    await expect(api.call('baseentry', 'get', {})).resolves.toBe('fine');
    expect(calls(server, 'get')).toBe(2);
  });

  it('retries when a reused keep-alive socket dies under the request (frozen Lambda wakes up)', async () => {
    // Prepare: the server kills any connection on its second request, like a peer that dropped an
    // idle keep-alive socket while the Lambda was frozen.
    const served = new WeakSet<object>();
    server = await startTinyServer((req, res) => {
      const socket = res.socket!;
      if (served.has(socket)) return void socket.destroy();
      served.add(socket);
      json(res, isAction(req.path, 'start') ? KS_A : 'ok');
    });
    const api = makeClient(server.url);
    await api.call('baseentry', 'get', {});
    // Act
    const second = await api.call('baseentry', 'get', {});
    // Assess
    expect(second).toBe('ok');
    expect(calls(server, 'get')).toBeGreaterThanOrEqual(3);
  });

  it('does not retry a permanent API error (SERVICE_FORBIDDEN) and reports code and args', async () => {
    server = await startTinyServer((req, res) =>
      isAction(req.path, 'start')
        ? json(res, KS_A)
        : json(res, { code: 'SERVICE_FORBIDDEN', message: 'The access to service [report->getTable] is forbidden', objectType: 'KalturaAPIException', args: { SERVICE: 'report->getTable' } }),
    );
    const api = makeClient(server.url);
    const error = await api.call('report', 'getTable', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KalturaApiError);
    expect(error).toMatchObject({ code: 'SERVICE_FORBIDDEN', retryable: false, args: { SERVICE: 'report->getTable' } });
    expect(calls(server, 'getTable')).toBe(1);
  });

  it('retries INTERNAL_SERVERL_ERROR (retryable API code) and reads args [] as {}', async () => {
    let n = 0;
    server = await startTinyServer((req, res) => {
      if (isAction(req.path, 'start')) return json(res, KS_A);
      if (n++ === 0) return json(res, { code: 'INTERNAL_SERVERL_ERROR', message: 'Internal server error occurred', objectType: 'KalturaAPIException', args: [] });
      json(res, { done: true });
    });
    const api = makeClient(server.url);
    await expect(api.call('report', 'getTotal', {})).resolves.toEqual({ done: true });
  });

  it('renews the session once on INVALID_KS, uses the new KS, and strips the KS from the final error', async () => {
    // Prepare: KS_A is rejected; the second session.start gives KS_B which works.
    let sessions = 0;
    server = await startTinyServer((req, res) => {
      if (isAction(req.path, 'start')) return json(res, sessions++ === 0 ? KS_A : KS_B);
      const ks = req.form.get('ks');
      if (ks === KS_B) return json(res, { used: 'B' });
      json(res, { code: 'INVALID_KS', message: `Invalid KS "${ks}", Error "-1,INVALID_STR"`, objectType: 'KalturaAPIException', args: { KSID: ks, ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' } });
    });
    const api = makeClient(server.url);
    // Act
    const value = await api.call('report', 'getTotal', {});
    // Assess
    expect(value).toEqual({ used: 'B' });
    expect(server.requests.filter((r) => isAction(r.path, 'getTotal')).map((r) => r.form.get('ks'))).toEqual([KS_A, KS_B]);
    expect(calls(server, 'start')).toBe(2);
  });

  it('renews only once: a second INVALID_KS is a permanent error whose message has no KS', async () => {
    let sessions = 0;
    server = await startTinyServer((req, res) => {
      if (isAction(req.path, 'start')) return json(res, sessions++ === 0 ? KS_A : KS_B);
      const ks = req.form.get('ks') ?? '';
      json(res, { code: 'INVALID_KS', message: `Invalid KS "${ks}", Error "-1,INVALID_STR"`, objectType: 'KalturaAPIException', args: { KSID: ks, ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' } });
    });
    const api = makeClient(server.url);
    const error = (await api.call('report', 'getTotal', {}).catch((e: unknown) => e)) as KalturaApiError;
    expect(error).toBeInstanceOf(KalturaApiError);
    expect(error.code).toBe('INVALID_KS');
    expect(error.retryable).toBe(false);
    expect(calls(server, 'getTotal')).toBe(2);
    for (const text of [error.message, JSON.stringify(error.args), String(error.stack)]) {
      expect(text).not.toContain(KS_A);
      expect(text).not.toContain(KS_B);
      expect(text).not.toContain(SECRET);
    }
  });

  it('keeps the KS reason (EXPIRED) in args', async () => {
    server = await startTinyServer((req, res) =>
      isAction(req.path, 'start')
        ? json(res, KS_A)
        : json(res, { code: 'INVALID_KS', message: 'Invalid KS "EXPIRED", Error "-1,INVALID_STR"', objectType: 'KalturaAPIException', args: { KSID: 'EXPIRED', ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' } }),
    );
    const api = makeClient(server.url);
    const error = (await api.call('report', 'getTotal', {}).catch((e: unknown) => e)) as KalturaApiError;
    expect(error.args.KSID).toBe('EXPIRED');
    expect(error.message).toContain('EXPIRED');
  });
});

describe('CSV downloads', () => {
  it('fails the stream with a retryable error when the body is shorter than Content-Length', async () => {
    server = await startTinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv', 'content-length': '1000' });
      res.write('"a","b"\n"1","2"\n');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const api = makeClient(server.url);
    const download = await api.downloadCsvUrl(`${server.url}/api_v3/index.php/service/report/action/serve/ks/${KS_A}/id/x/report.csv`);
    expect(download.contentLength).toBe(1000);
    const error = await (async () => {
      for await (const _chunk of download.body) void _chunk;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KalturaTransportError);
    expect((error as KalturaTransportError).retryable).toBe(true);
    expect((error as Error).message).not.toContain(KS_A);
  });

  it('streams a complete body', async () => {
    const csv = '\ufeff"Report"\n"a","b"\n';
    server = await startTinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv', 'content-length': String(Buffer.byteLength(csv)) });
      res.end(csv);
    });
    const api = makeClient(server.url);
    const download = await api.downloadCsvUrl(`${server.url}/x.csv`);
    const chunks: Buffer[] = [];
    for await (const c of download.body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(csv);
  });

  it('turns a JSON error body of getCsvFromStringParams into a KalturaApiError', async () => {
    server = await startTinyServer((req, res) =>
      isAction(req.path, 'start') ? json(res, KS_A) : json(res, { code: 'REPORT_NOT_FOUND', message: 'Report id "99" not found', objectType: 'KalturaAPIException', args: { ID: '99' } }),
    );
    const api = makeClient(server.url);
    await expect(api.getCsvFromStringParams({ id: 99 })).rejects.toMatchObject({ code: 'REPORT_NOT_FOUND', retryable: false });
  });
});
