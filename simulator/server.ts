/**
 * HTTP front of the simulator (node:http only): API v3 (`/api_v3/service/<svc>/action/<act>`,
 * multirequest, `report.serve` downloads) and the Reports Microservice (`/api/v1/report/*`).
 */
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ActionDef, type CallContext, DieError, FileResult, type SimState } from './context.js';
import { SimApiError, apiError, invalidKs, toApiError } from './errors.js';
import { ksPartnerId, parseKs, type KsInfo } from './ks.js';
import { parseRequestParams, type Params } from './params.js';
import { redactParams } from './redact.js';
import { jsonBody, xmlBody } from './serialize.js';
import { isRecord, nowSeconds, str } from './util.js';
import type { FaultMatch, SimulatorFault } from './types.js';

export type ActionTable = Record<string, ActionDef>;

export interface MicroserviceHandler {
  (ctx: { state: SimState; req: IncomingMessage; res: ServerResponse; body: Buffer; path: string; log: (action: string, params: Record<string, unknown>, status: number) => void }): Promise<void>;
}

const MAX_BODY = 20 * 1024 * 1024;

interface Descriptor {
  service: string;
  action: string;
}

function faultMatches(match: FaultMatch | undefined, descriptors: ReadonlyArray<Descriptor>, path: string): boolean {
  if (!match) return true;
  if (match.path !== undefined && !path.includes(match.path)) return false;
  if (match.service === undefined && match.action === undefined) return true;
  return descriptors.some(
    (d) =>
      (match.service === undefined || match.service.toLowerCase() === d.service.toLowerCase()) &&
      (match.action === undefined || match.action.toLowerCase() === d.action.toLowerCase()),
  );
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Replaces `{K:result[:path]}` tokens with values of earlier multirequest results (K is 1-based). */
function substituteReferences(value: unknown, results: ReadonlyArray<unknown>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\{(\d+):result((?::[^:}]+)*)\}/g, (_whole, k: string, path: string) => {
      let node: unknown = results[Number(k) - 1];
      if (node instanceof SimApiError || node === undefined) return '';
      const segments = path.split(':').filter((s) => s !== '');
      for (let i = 0; i < segments.length; i++) {
        const seg = segments[i] ?? '';
        if (seg === '_all' && Array.isArray(node)) {
          const attr = segments[i + 1];
          return node.map((item) => (isRecord(item) && attr ? String(item[attr] ?? '') : '') + ',').join('');
        }
        if (Array.isArray(node)) node = node[Number(seg)];
        else if (isRecord(node)) node = node[seg];
        else node = undefined;
      }
      if (node === undefined || node === null || typeof node === 'object') return '';
      return typeof node === 'boolean' ? (node ? '1' : '') : String(node);
    });
  }
  if (Array.isArray(value)) return value.map((v) => substituteReferences(v, results));
  if (isRecord(value)) {
    const out: Params = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteReferences(v, results);
    return out;
  }
  return value;
}

/** What `/__simulator/*` needs from the simulator object (index.ts). */
export interface AdminHooks {
  injectFault(fault: SimulatorFault): void;
  clearFaults(): void;
  concurrency(): unknown;
  resetConcurrency(): void;
}

export class SimServer {
  private server: Server | undefined;
  origin = '';
  /** Set by startSimulator: serves `/__simulator/*` (a test tool on loopback, like the simulator itself). */
  admin: AdminHooks | undefined;

  constructor(
    private readonly state: SimState,
    private readonly actions: ActionTable,
    private readonly services: ReadonlySet<string>,
    private readonly microservice: MicroserviceHandler,
  ) {}

  async listen(host: string, port: number): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end();
        } else res.destroy();
      });
    });
    server.keepAliveTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.origin = `http://${shownHost}:${address.port}`;
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => {
        this.state.removeFiles();
        resolve();
      });
      server.closeAllConnections();
    });
  }

  private log(service: string, action: string, params: Record<string, unknown>, httpStatus: number): void {
    this.state.requests.push({ service, action, params: redactParams(params, this.state.config), httpStatus, at: Date.now() });
    if (this.state.requests.length > 100_000) this.state.requests.splice(0, 10_000);
  }

  /** HTTP-level faults; returns true when the request was fully handled by a fault. */
  private async applyHttpFaults(req: IncomingMessage, res: ServerResponse, descriptors: Descriptor[], path: string, logAs: Descriptor, params: Params): Promise<boolean> {
    const rejection = this.state.rejection;
    if (rejection && Date.now() >= rejection.until) this.state.rejection = undefined;
    else if (rejection && faultMatches(rejection.match, descriptors, path)) {
      // Load shedding as a gateway does it: the status, Retry-After = what is left of the window, an HTML body.
      const retryAfter = Math.max(1, Math.ceil((rejection.until - Date.now()) / 1000));
      this.log(logAs.service, logAs.action, params, rejection.status);
      const text = `<html><head><title>${rejection.status}</title></head><body><h1>Simulated HTTP ${rejection.status}: try again in ${retryAfter} s</h1></body></html>`;
      res.writeHead(rejection.status, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(text), 'Retry-After': String(retryAfter) });
      res.end(text);
      return true;
    }
    const fault = this.state.takeFault(['http-status', 'delay', 'drop-connection', 'html-page', 'empty-body'], (f) => faultMatches(f.match, descriptors, path));
    if (!fault) return false;
    if (fault.kind === 'delay') {
      await sleep(fault.ms);
      if (!res.destroyed && !req.socket.destroyed) return false;
      this.log(logAs.service, logAs.action, params, 0);
      return true;
    }
    if (fault.kind === 'drop-connection') {
      this.log(logAs.service, logAs.action, params, 0);
      req.socket.destroy();
      return true;
    }
    if (fault.kind === 'empty-body') {
      this.log(logAs.service, logAs.action, params, 200);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '0' });
      res.end();
      return true;
    }
    const status = fault.kind === 'html-page' ? (fault.status ?? 200) : fault.status;
    const title = fault.kind === 'html-page' ? (fault.title ?? 'Service Temporarily Unavailable') : String(status);
    this.log(logAs.service, logAs.action, params, status);
    const text = `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${fault.kind === 'html-page' ? title : `Simulated HTTP ${status}`}</h1><p>nginx</p></body></html>\n`;
    res.writeHead(status, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const path = url.pathname;
    const body = await readBody(req);
    if (body === undefined) {
      this.log('', path, {}, 413);
      res.writeHead(413, { Connection: 'close' });
      res.end();
      return;
    }
    if (path.startsWith('/__simulator/')) return this.handleAdmin(req, res, path, body);
    if (path === '/api/v1/report/generate' || path === '/api/v1/report/serve') {
      const bearer = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
      this.countInFlight(res, bearer ? ksPartnerId(bearer) : undefined);
      const action = path.endsWith('generate') ? 'generate' : 'serve';
      const descriptors = [{ service: 'reports-microservice', action }];
      if (await this.applyHttpFaults(req, res, descriptors, path, descriptors[0] as Descriptor, {})) return;
      await this.microservice({ state: this.state, req, res, body, path, log: (a, p, s) => this.log('reports-microservice', a, p, s) });
      return;
    }
    if (path !== '/api_v3' && !path.startsWith('/api_v3/')) {
      this.log('', path, {}, 404);
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('Not found');
      return;
    }
    let rest = path.slice('/api_v3'.length);
    if (rest.startsWith('/index.php')) rest = rest.slice('/index.php'.length);
    const segments = rest
      .split('/')
      .filter((s) => s !== '')
      .map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      });
    const pathPairs: Params = {};
    for (let i = 0; i + 1 < segments.length; i += 2) pathPairs[segments[i] as string] = segments[i + 1];
    const { params } = parseRequestParams({ contentType: req.headers['content-type'], body, query: url.search.slice(1), pathPairs });
    const service = str(params.service) ?? '';
    const action = str(params.action) ?? '';
    const isMulti = service.toLowerCase() === 'multirequest';
    const items = isMulti ? this.multirequestItems(params) : [];
    const ksForPartner = str(params.ks) || items.map((i) => str(i.ks)).find(Boolean);
    this.countInFlight(res, (ksForPartner ? ksPartnerId(ksForPartner) : undefined) ?? (Number(str(params.partnerId)) || undefined));
    const descriptors: Descriptor[] = isMulti ? [{ service: 'multirequest', action: '' }, ...items.map((i) => ({ service: str(i.service) ?? '', action: str(i.action) ?? '' }))] : [{ service, action }];
    const logAs = descriptors[0] as Descriptor;
    if (await this.applyHttpFaults(req, res, descriptors, path, logAs, params)) return;

    const presentsKs = str(params.ks) || items.some((i) => str(i.ks));
    if (presentsKs) this.state.countAuthenticatedCall();
    const format = str(params.format);
    const send = (value: unknown, extraHeaders: Record<string, string> = {}): void => {
      const isJson = ['1', '3', '9'].includes(format ?? '');
      let text = isJson ? jsonBody(value) : xmlBody(value);
      if (this.state.takeFault(['truncated-json'], (f) => faultMatches(f.match, descriptors, path))) text = text.slice(0, Math.floor(text.length / 2));
      this.log(logAs.service, logAs.action, params, 200);
      res.writeHead(200, { 'Content-Type': isJson ? 'application/json' : 'text/xml', 'Content-Length': Buffer.byteLength(text), ...extraHeaders });
      res.end(text);
    };

    if (!isMulti) {
      const result = await this.callAction(service, action, params, path);
      if (result instanceof FileResult) return this.sendFile(res, result, () => this.log(logAs.service, logAs.action, params, 200));
      if (result instanceof DieError) {
        this.log(logAs.service, logAs.action, params, 200);
        res.writeHead(200, { 'X-Kaltura': `error-${result.code}`, 'X-Kaltura-App': `exiting on error ${result.code} - ${result.description}`, 'Content-Length': '0' });
        res.end();
        return;
      }
      const headers: Record<string, string> = {};
      if (result instanceof SimApiError) {
        headers['X-Kaltura'] = `error-${result.code}`;
        if (result.code === 'SERVICE_FORBIDDEN') headers['X-Kaltura-App'] = `exiting on error ${result.code} - ${result.message}`;
      }
      send(result, headers);
      return;
    }

    const results: unknown[] = [];
    for (const item of items) {
      const merged: Params = {};
      for (const key of ['ks', 'clientTag', 'partnerId']) if (params[key] !== undefined) merged[key] = params[key];
      for (const [k, v] of Object.entries(item)) if (k !== 'format') merged[k] = v;
      const resolved = substituteReferences(merged, results) as Params;
      const result = await this.callAction(str(resolved.service) ?? '', str(resolved.action) ?? '', resolved, path);
      if (result instanceof FileResult) return this.sendFile(res, result, () => this.log(logAs.service, logAs.action, params, 200));
      results.push(result instanceof DieError ? apiError('INTERNAL_SERVERL_ERROR') : result);
    }
    send(results);
  }

  /** Counts the request as in flight for its partner (the simulator's own when unknown) until its answer ends. */
  private countInFlight(res: ServerResponse, partnerId: number | undefined): void {
    const release = this.state.enterRequest(String(partnerId ?? this.state.config.partnerId));
    res.once('close', release);
  }

  /**
   * `GET /__simulator/concurrency` (per-partner in-flight counts and peaks), `POST /__simulator/concurrency/reset`,
   * `POST /__simulator/faults` (a JSON SimulatorFault, e.g. {"kind":"reject-for","status":429,"seconds":30}),
   * `DELETE /__simulator/faults`. For a simulator in another process (a benchmark, `kreports start`).
   */
  private handleAdmin(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer): void {
    const answer = (status: number, value: unknown): void => {
      const text = JSON.stringify(value);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    const admin = this.admin;
    if (!admin) return answer(404, { error: 'no admin hooks' });
    if (path === '/__simulator/concurrency' && req.method === 'GET') return answer(200, { partners: admin.concurrency() });
    if (path === '/__simulator/concurrency/reset' && req.method === 'POST') {
      admin.resetConcurrency();
      return answer(200, { ok: true });
    }
    if (path === '/__simulator/faults' && req.method === 'DELETE') {
      admin.clearFaults();
      return answer(200, { ok: true });
    }
    if (path === '/__simulator/faults' && req.method === 'POST') {
      let fault: unknown;
      try {
        fault = JSON.parse(body.toString('utf8'));
      } catch {
        return answer(400, { error: 'the body must be a JSON fault, e.g. {"kind":"reject-for","status":429,"seconds":30}' });
      }
      if (!isRecord(fault) || typeof fault.kind !== 'string') return answer(400, { error: 'a fault needs a "kind" (see docs/simulator.md, Faults)' });
      admin.injectFault(fault as unknown as SimulatorFault);
      return answer(200, { ok: true });
    }
    answer(404, { error: `unknown admin route ${req.method} ${path}` });
  }

  /** Sub-requests in execution order: numeric keys from min(1, smallest) upward, stopping at the first gap. */
  private multirequestItems(params: Params): Params[] {
    const indexes = Object.keys(params)
      .filter((k) => /^\d+$/.test(k) && isRecord(params[k]))
      .map(Number);
    if (indexes.length === 0) return [];
    const first = Math.min(1, ...indexes);
    const out: Params[] = [];
    for (let i = first; ; i++) {
      const item = params[String(i)];
      if (!isRecord(item) || !str(item.service) || !str(item.action)) break;
      out.push(item);
    }
    return out;
  }

  /** Runs one action; returns its value, a FileResult, a DieError or a SimApiError (never throws). */
  async callAction(service: string, action: string, params: Params, path: string): Promise<unknown> {
    try {
      const def = this.actions[`${service.toLowerCase()}.${action.toLowerCase()}`];
      if (!def) {
        if (!this.services.has(service.toLowerCase())) throw apiError('SERVICE_DOES_NOT_EXISTS', { SRV_NAME: service });
        throw apiError('ACTION_DOES_NOT_EXISTS', { ACTION_NAME: action, SERVICE_NAME: service });
      }
      const injected = this.state.takeFault(['api-error', 'null-result'], (f) => faultMatches(f.match, [{ service, action }], path));
      if (injected?.kind === 'api-error') throw apiError(injected.code, injected.args ?? {});
      const ksString = str(params.ks) || undefined;
      let ks: KsInfo | undefined;
      if (!def.ksIgnored) {
        if (ksString === undefined) throw apiError('SERVICE_FORBIDDEN', { SERVICE: `${service}->${action}` });
        ks = this.validateKs(ksString);
        if (ks.privileges.widget === '1' && !def.widgetAllowed) throw apiError('SERVICE_FORBIDDEN', { SERVICE: `${service}->${action}` });
      }
      const ctx: CallContext = { service, action, params, ks, ksString, origin: this.origin, state: this.state, validateKs: (s) => this.validateKs(s) };
      const result = await def.handler(ctx);
      // The server swallowed a failure of the action (getUrlForReportAsCsv's catch-all): the KS was still checked.
      return injected?.kind === 'null-result' ? null : result;
    } catch (error) {
      if (error instanceof FileResult || error instanceof DieError) return error;
      if (!(error instanceof SimApiError) && process.env.SIMULATOR_DEBUG) console.error(error);
      return toApiError(error);
    }
  }

  /** INVALID_KS for bad strings (KSID = the KS), expired or revoked ones (KSID = "EXPIRED"). */
  validateKs(ksString: string): KsInfo {
    const ks = parseKs(ksString, this.state.config.adminSecret);
    if (!ks) throw invalidKs(ksString);
    if (ks.partnerId !== this.state.config.partnerId) throw invalidKs('INVALID_PARTNER');
    if (ks.validUntil <= nowSeconds() || this.state.isRevoked(ksString)) throw invalidKs('EXPIRED');
    return ks;
  }

  /** Streams a file result with an exact Content-Length (generated bodies are counted in a first pass). */
  async sendFile(res: ServerResponse, file: FileResult, log: () => void): Promise<void> {
    const source = file.body;
    let length = 0;
    if (typeof source === 'function') {
      let n = 0;
      for (const chunk of source()) {
        length += Buffer.byteLength(chunk);
        if (++n % 2000 === 0) await new Promise((r) => setImmediate(r));
      }
    } else length = source.size;
    const truncate = file.download ? this.state.takeFault(['truncate-download'], () => true) : undefined;
    const limit = truncate ? Math.floor(length / 2) : Infinity;
    log();
    // A chunked truncation sends no length at all: only the missing last chunk tells the client.
    res.writeHead(200, { 'Content-Type': file.contentType, ...(truncate?.chunked ? {} : { 'Content-Length': String(length) }), ...file.headers });
    let sent = 0;
    let pending = '';
    const flush = async (): Promise<boolean> => {
      if (pending === '') return true;
      let buf = Buffer.from(pending, 'utf8');
      pending = '';
      if (sent + buf.length > limit) buf = buf.subarray(0, Math.max(0, limit - sent));
      sent += buf.length;
      if (res.destroyed) return false;
      if (!res.write(buf)) await waitDrain(res);
      return !res.destroyed && sent < limit;
    };
    if (typeof source === 'function') {
      for (const chunk of source()) {
        pending += chunk;
        if (pending.length >= 65536 && !(await flush())) break;
      }
    } else {
      for await (const chunk of createReadStream(source.path, { highWaterMark: 65536 })) {
        let buf = chunk as Buffer;
        if (sent + buf.length > limit) buf = buf.subarray(0, Math.max(0, limit - sent));
        sent += buf.length;
        if (res.destroyed) break;
        if (!res.write(buf)) await waitDrain(res);
        if (res.destroyed || sent >= limit) break;
      }
    }
    if (sent < limit && !res.destroyed) await flush();
    if (truncate) {
      // Content-Length promised more: end the socket half way.
      await new Promise((r) => setTimeout(r, 10));
      res.socket?.destroy();
      return;
    }
    res.end();
  }
}
