/**
 * Calling API v3 actions: form body + `format=1` POSTed to `${serviceUrl}/service/<svc>/action/<act>`,
 * retried by the transport, JSON parsed, `KalturaAPIException` (sent with HTTP 200) turned into a
 * `KalturaApiError`, and the session layer: the KS is added, and on `INVALID_KS` the session is
 * renewed once and the call retried once.
 */
import type { Logger } from '../logging/logger.js';
import { KalturaApiError, KalturaResponseError, notJsonError, stripKs } from './errors.js';
import { encodeCall, encodeMultirequest } from './form-encoding.js';
import type { SessionManager } from './session.js';
import { header, readText, xKalturaErrorCode, type StreamResponse, type Transport } from './transport.js';
import { refuseHtmlPage } from './csv-downloads.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } as const;
/** Shows up in Kaltura's server logs, so Kaltura support can find this project's calls. */
export const CLIENT_TAG = 'kaltura-reporting';

export interface ApiExceptionWire {
  readonly code: string;
  readonly message: string;
  readonly objectType?: string;
  readonly args?: unknown;
}

export function isApiException(value: unknown): value is ApiExceptionWire {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  if (v.objectType === 'KalturaAPIException') return typeof v.code === 'string';
  // Tolerate error objects without objectType (strict error maps, proxies) but only when shaped like one.
  return v.objectType === undefined && typeof v.code === 'string' && typeof v.message === 'string' && Object.keys(v).every((k) => k === 'code' || k === 'message' || k === 'args');
}

/**
 * Parses a JSON answer. A body that is not JSON says why, and whether a retry can help:
 * - empty (HTTP 200, nothing written: PHP died mid-request): retryable;
 * - JSON cut short or garbled (starts like JSON, does not parse: a worker killed while writing, a
 *   proxy cutting the body): retryable;
 * - an HTML page (a proxy, a login or maintenance page, the web site instead of the API): permanent,
 *   check the URL setting; the page's title is quoted to say whose page it is;
 * - anything else: permanent, check the URL setting.
 */
export function parseJson(text: string, call: string, setting = 'KALTURA_SERVICE_URL'): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw notJsonError(text, call, setting, cause);
  }
}

export type CallOptions = { readonly privileges?: ReadonlyArray<string> };

export class ApiCaller {
  private session: SessionManager | undefined;

  constructor(
    private readonly serviceUrl: string,
    private readonly transport: Transport,
    private readonly logger?: Logger,
  ) {}

  attachSession(session: SessionManager): void {
    this.session = session;
  }

  known(): string[] {
    return this.session?.knownSecrets() ?? [];
  }

  apiError(e: ApiExceptionWire, call: string): KalturaApiError {
    return new KalturaApiError({ code: e.code, message: e.message ?? '', args: e.args, call, knownSecrets: this.known() });
  }

  actionUrl(service: string, action: string): string {
    return `${this.serviceUrl.replace(/\/+$/, '')}/service/${encodeURIComponent(service)}/action/${encodeURIComponent(action)}`;
  }

  /** One action with an explicit KS (or none): retried on transient failures, no session handling. */
  raw = async (service: string, action: string, params: Record<string, unknown>, ks?: string): Promise<unknown> => {
    const call = `${service}.${action}`;
    const body = encodeCall({ ...params, clientTag: CLIENT_TAG, ...(ks ? { ks } : {}) });
    return this.transport.withRetries(call, async () => {
      const res = await this.transport.text({ url: this.actionUrl(service, action), method: 'POST', headers: FORM, body, call });
      const died = res.text.trim() === '' ? xKalturaErrorCode(res.headers) : undefined;
      if (died) throw this.apiError({ code: died, message: 'the server ended the request without a body' }, call);
      const value = parseJson(res.text, call);
      if (isApiException(value)) throw this.apiError(value, call);
      return value;
    });
  };

  private requireSession(): SessionManager {
    if (!this.session) throw new Error('ApiCaller used before a session was attached');
    return this.session;
  }

  /** Runs `fn` with a KS; on INVALID_KS renews the session once and runs it once more. */
  async withSession<T>(call: string, options: CallOptions, fn: (ks: string) => Promise<T>, isInvalidKs: (error: unknown, result?: T) => boolean = defaultInvalidKs): Promise<T> {
    const session = this.requireSession();
    const ks = await session.get(options.privileges);
    try {
      const result = await fn(ks);
      if (!isInvalidKs(undefined, result)) return result;
    } catch (error) {
      if (!isInvalidKs(error)) throw error;
    }
    session.invalidate(ks);
    this.logger?.warn('kaltura session rejected (INVALID_KS); renewing once', { call });
    this.logger?.metric('KalturaSessionRenewed', 1, { call });
    const fresh = await session.get(options.privileges);
    const result = await fn(fresh);
    if (isInvalidKs(undefined, result)) {
      // The fresh KS was also rejected inside a multirequest: surface it as an error of the whole call.
      throw new KalturaApiError({ code: 'INVALID_KS', message: 'Invalid KS after renewal', call, knownSecrets: this.known() });
    }
    return result;
  }

  async call(service: string, action: string, params: Record<string, unknown> = {}, options: CallOptions = {}): Promise<unknown> {
    return this.withSession(`${service}.${action}`, options, (ks) => this.raw(service, action, params, ks));
  }

  /**
   * Several actions in one HTTP call (`service/multirequest`, items numbered from 1). The answer is
   * an array in item order; each element is a result or a KalturaAPIException for that item only.
   */
  async multirequest(items: ReadonlyArray<{ service: string; action: string; params?: Record<string, unknown> }>, options: CallOptions = {}): Promise<Array<{ ok: true; value: unknown } | { ok: false; error: KalturaApiError }>> {
    if (items.length === 0) return [];
    const call = `multirequest(${items.map((i) => `${i.service}.${i.action}`).join(',')})`;
    const raw = await this.withSession(
      call,
      options,
      async (ks) => {
        const body = encodeMultirequest(items, { ks, clientTag: CLIENT_TAG });
        return this.transport.withRetries(call, async () => {
          const res = await this.transport.text({ url: `${this.serviceUrl.replace(/\/+$/, '')}/service/multirequest`, method: 'POST', headers: FORM, body, call });
          const value = parseJson(res.text, call);
          // A malformed multirequest fails as a whole with a single exception object.
          if (isApiException(value)) throw this.apiError(value, call);
          if (!Array.isArray(value)) throw new KalturaResponseError(`Kaltura ${call} did not answer with an array; the server may be incompatible.`);
          if (value.length < items.length) throw new KalturaResponseError(`Kaltura ${call} answered ${value.length} results for ${items.length} requests.`);
          return value as unknown[];
        });
      },
      (error, result) => (error !== undefined ? defaultInvalidKs(error) : (result ?? []).some((r) => isApiException(r) && r.code === 'INVALID_KS')),
    );
    return items.map((item, i) => {
      const value = raw[i];
      if (isApiException(value)) return { ok: false as const, error: this.apiError(value, `${item.service}.${item.action}`) };
      return { ok: true as const, value };
    });
  }

  /**
   * A `file` action (raw bytes whatever `format` says), e.g. report.getCsvFromStringParams: the body
   * is streamed. A JSON answer is an error object and becomes a KalturaApiError.
   */
  async file(service: string, action: string, params: Record<string, unknown>, options: CallOptions = {}): Promise<StreamResponse> {
    const call = `${service}.${action}`;
    return this.withSession(call, options, (ks) =>
      this.transport.withRetries(call, async () => {
        const res = await this.transport.stream({ url: this.actionUrl(service, action), method: 'POST', headers: FORM, body: encodeCall({ ...params, clientTag: CLIENT_TAG, ks }), call });
        const type = header(res.headers, 'content-type') ?? '';
        const died = xKalturaErrorCode(res.headers);
        if (died && !/json/i.test(type)) {
          res.body.resume();
          throw this.apiError({ code: died, message: 'the server ended the request without a file' }, call);
        }
        await refuseHtmlPage(res, call);
        if (/json/i.test(type)) {
          const text = await readText(res.body, 1_000_000);
          const value = parseJson(text, call);
          if (isApiException(value)) throw this.apiError(value, call);
          throw new KalturaResponseError(`Kaltura ${call} answered JSON instead of a file; the server may be incompatible.`);
        }
        return res;
      }),
    );
  }

  strip(text: string): string {
    return stripKs(text, this.known());
  }
}

function defaultInvalidKs(error: unknown): boolean {
  return error instanceof KalturaApiError && error.code === 'INVALID_KS';
}
