/**
 * The Reports Microservice (WIRE_FACTS §7, documentation only): JSON POSTs with
 * `Authorization: Bearer <KS>` to `${reportsUrl}/api/v1/report/generate` (-> `{sessionId}`) and
 * `/serve` (`statusOnly: true` -> `{status}`, else the CSV body).
 *
 * The failure shape is undocumented; a status of `failed`/`error` is accepted with the reason in
 * any of `reason`, `error`, `errorMessage`, `message` (a string or `{message}`).
 * HTTP 401/403 are permanent (the KS lacks rights, e.g. `virtualeventid:<id>`); 5xx/429 retried.
 */
import { z } from '../validation/zod.js';
import type { CsvDownload, MicroserviceStatus } from './kaltura-api.js';
import { KalturaApiError, KalturaResponseError, KalturaTransportError } from './errors.js';
import { parseJson } from './caller.js';
import { refuseHtmlPage, toCsvDownload } from './csv-downloads.js';
import { header, readText, type Transport } from './transport.js';

const Generated = z.object({ sessionId: z.pipe(z.union([z.string().check(z.minLength(1)), z.number()]), z.transform((v) => String(v))) });
const StatusWire = z.object({ status: z.string() });

function reasonOf(body: Record<string, unknown>): string {
  for (const key of ['reason', 'error', 'errorMessage', 'message', 'details']) {
    const v = body[key];
    if (typeof v === 'string' && v) return v;
    if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') return (v as { message: string }).message;
  }
  return 'no reason given';
}

export class ReportsMicroservice {
  constructor(
    private readonly baseUrl: string,
    private readonly transport: Transport,
    private readonly strip: (text: string) => string,
  ) {}

  private url(path: string): string {
    return `${this.baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}/api/v1/report/${path}`;
  }

  private headers(ks: string): Record<string, string> {
    return { authorization: `Bearer ${ks}`, 'content-type': 'application/json', accept: 'application/json, text/csv' };
  }

  private async postJson(path: string, ks: string, body: unknown): Promise<Record<string, unknown>> {
    const call = `reports.${path}`;
    return this.transport.withRetries(call, async () => {
      let res;
      try {
        res = await this.transport.text({ url: this.url(path), method: 'POST', headers: this.headers(ks), body: JSON.stringify(body), call });
      } catch (error) {
        throw this.mapStatus(error, call);
      }
      const value = parseJson(res.text, call, 'KALTURA_REPORTS_URL');
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new KalturaResponseError(`Kaltura ${call} answered an unexpected JSON value.`);
      const obj = value as Record<string, unknown>;
      if (obj.objectType === 'KalturaAPIException' && typeof obj.code === 'string') {
        throw new KalturaApiError({ code: obj.code, message: String(obj.message ?? ''), args: obj.args, call });
      }
      return obj;
    });
  }

  /** 401/403: an INVALID_KS-like rejection the session layer can renew on; other 4xx permanent. */
  private mapStatus(error: unknown, call: string): unknown {
    if (error instanceof KalturaTransportError && (error.details.status === 401 || error.details.status === 403)) {
      return new KalturaApiError({ code: error.details.status === 401 ? 'INVALID_KS' : 'SERVICE_FORBIDDEN', message: `Reports Microservice answered HTTP ${error.details.status}`, call }, { cause: error });
    }
    return error;
  }

  async generate(ks: string, reportName: string, reportParameters: Record<string, unknown> = {}): Promise<{ sessionId: string }> {
    const body = await this.postJson('generate', ks, { reportName, reportParameters });
    const parsed = Generated.safeParse(body);
    if (!parsed.success) throw new KalturaResponseError(`Kaltura reports.generate answered without a sessionId: ${this.strip(reasonOf(body))}`);
    return { sessionId: parsed.data.sessionId };
  }

  async status(ks: string, sessionId: string): Promise<MicroserviceStatus> {
    const body = await this.postJson('serve', ks, { sessionId, statusOnly: true });
    const parsed = StatusWire.safeParse(body);
    if (!parsed.success) throw new KalturaResponseError('Kaltura reports.serve (statusOnly) answered without a status.');
    const status = parsed.data.status.toLowerCase();
    if (status === 'pending' || status === 'queued' || status === 'created') return { status: 'pending' };
    if (status === 'in_progress' || status === 'processing' || status === 'running') return { status: 'in_progress' };
    if (status === 'completed' || status === 'done' || status === 'ready') return { status: 'completed' };
    if (status === 'failed' || status === 'error' || status === 'failure') return { status: 'failed', reason: this.strip(reasonOf(body)) };
    throw new KalturaResponseError(`Kaltura reports.serve answered an unknown status "${parsed.data.status.slice(0, 40)}".`);
  }

  async download(ks: string, sessionId: string): Promise<CsvDownload> {
    const call = 'reports.serve';
    return this.transport.withRetries(call, async () => {
      let res;
      try {
        res = await this.transport.stream({ url: this.url('serve'), method: 'POST', headers: this.headers(ks), body: JSON.stringify({ sessionId }), call });
      } catch (error) {
        throw this.mapStatus(error, call);
      }
      if (/json/i.test(header(res.headers, 'content-type') ?? '')) {
        const text = await readText(res.body, 1_000_000);
        const value = parseJson(text, call, 'KALTURA_REPORTS_URL') as Record<string, unknown>;
        const status = typeof value?.status === 'string' ? value.status : undefined;
        throw new KalturaResponseError(`Kaltura reports.serve answered JSON instead of the CSV${status ? ` (status ${status}: the job is not completed)` : ''}: ${this.strip(reasonOf(value ?? {}))}`, { retryable: status !== 'failed' });
      }
      await refuseHtmlPage(res, call, 'KALTURA_REPORTS_URL');
      return toCsvDownload(res, call, this.transport.options.timeoutMs);
    });
  }
}
