/**
 * `createKalturaClient`: the KalturaApi (kaltura-api.ts) over undici, wiring the pieces of this
 * folder together. See docs/kaltura-client.md for usage, errors, retries and sessions.
 */
import { z } from '../validation/zod.js';
import { formatIssues } from '../validation/format-issues.js';
import { ValidationError } from '../errors/base-error.js';
import type { Logger } from '../logging/logger.js';
import type { KalturaApi, NotificationTemplate, ReportBundle, ReportRequest, Settled } from './kaltura-api.js';
import { ApiCaller } from './caller.js';
import { BEACON_SERVICE, healthBeaconParams, parseHealthBeacons } from './beacons.js';
import { csvHeadersParam, describeUrl, refuseHtmlPage, toCsvDownload, validateCsvUrl } from './csv-downloads.js';
import { KalturaApiError, KalturaConfigError, KalturaResponseError, KalturaRowLimitError } from './errors.js';
import { LIVE_REPORTS_SERVICE, liveEventsParams, parseLiveAudience } from './live-reports.js';
import { parseGraphs, parseTable, parseTablePage, parseTotal, REPORT_DELIMITER } from './report-parsing.js';
import { graphsParams, MAX_TABLE_ROWS, reportParams, tableParams, totalParams } from './report-requests.js';
import { ReportsMicroservice } from './reports-microservice.js';
import { SessionManager, type HashType } from './session.js';
import { pageTable } from './table-pager.js';
import { Transport, xKalturaErrorCode } from './transport.js';
import { normalizeServiceUrl } from './service-url.js';

export interface KalturaClientOptions {
  /** `https://www.kaltura.com` or `https://www.kaltura.com/api_v3` alike (normalizeServiceUrl). */
  serviceUrl: string;
  partnerId: number;
  adminSecret?: string;
  appToken?: { id: string; token: string; hashType?: HashType };
  reportsUrl?: string;
  userId?: string;
  privileges?: ReadonlyArray<string>;
  /** Per HTTP call, default 30000. */
  timeoutMs?: number;
  /** Default 3. */
  maxRetries?: number;
  /** Default 200 (tests use ~5). */
  retryBaseDelayMs?: number;
  logger?: Logger;
  /** Requested KS lifetime in seconds, default 86400. */
  sessionExpirySeconds?: number;
  /**
   * Kaltura HTTP requests in flight at once through this client (its partner's budget in this process),
   * default DEFAULT_MAX_CONCURRENT_REQUESTS. A streamed download holds a slot until it ends.
   */
  maxConcurrentRequests?: number;
}

/**
 * Default per-client budget. In AWS each worker instance has one client, so the stack's total is
 * sum(maxConcurrency of each job queue) x this (docs/deploy.md, "Scale on paper").
 */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 4;

/** The KalturaApi plus `close()` (releases keep-alive sockets; a Lambda never needs it). */
export interface KalturaClient extends KalturaApi {
  close(): Promise<void>;
}

const TEMPLATE_SERVICE = 'eventnotification_eventnotificationtemplate';

function settle<T>(item: { ok: true; value: unknown } | { ok: false; error: KalturaApiError }, parse: (v: unknown) => T): Settled<T> {
  if (!item.ok) return { ok: false, error: item.error };
  try {
    return { ok: true, value: parse(item.value) };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

function toTemplate(value: unknown): NotificationTemplate {
  const v = (value ?? {}) as Record<string, unknown>;
  const id = Number(v.id);
  if (!Number.isFinite(id)) throw new KalturaResponseError('Kaltura notification template answer has no id.');
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  const numOrStr = (x: unknown) => (typeof x === 'number' || typeof x === 'string' ? x : undefined);
  return {
    id,
    ...(str(v.systemName) !== undefined ? { systemName: str(v.systemName) } : {}),
    ...(str(v.name) !== undefined ? { name: str(v.name) } : {}),
    ...(v.status !== undefined && v.status !== null ? { status: Number(v.status) } : {}),
    ...(numOrStr(v.eventType) !== undefined ? { eventType: numOrStr(v.eventType) } : {}),
    ...(numOrStr(v.eventObjectType) !== undefined ? { eventObjectType: numOrStr(v.eventObjectType) } : {}),
    ...(str(v.url) !== undefined ? { url: str(v.url) } : {}),
  };
}

export function createKalturaClient(options: KalturaClientOptions): KalturaClient {
  const serviceUrl = normalizeServiceUrl(options.serviceUrl);
  if (!Number.isInteger(options.partnerId) || options.partnerId <= 0) throw new KalturaConfigError('Kaltura partnerId must be a positive integer (KALTURA_PARTNER_ID).');
  const logger = options.logger?.child({ component: 'kaltura-client', partnerId: options.partnerId });
  const transport = new Transport({
    timeoutMs: options.timeoutMs ?? 30_000,
    maxRetries: options.maxRetries ?? 3,
    retryBaseDelayMs: options.retryBaseDelayMs ?? 200,
    maxConcurrentRequests: options.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS,
    ...(logger ? { logger } : {}),
  });
  const caller = new ApiCaller(serviceUrl, transport, logger);
  const session = new SessionManager(
    {
      partnerId: options.partnerId,
      ...(options.adminSecret ? { adminSecret: options.adminSecret } : {}),
      ...(options.appToken ? { appToken: options.appToken } : {}),
      ...(options.userId ? { userId: options.userId } : {}),
      ...(options.privileges ? { privileges: options.privileges } : {}),
      ...(options.sessionExpirySeconds ? { expirySeconds: options.sessionExpirySeconds } : {}),
      ...(logger ? { logger } : {}),
    },
    caller.raw,
  );
  caller.attachSession(session);
  const strip = (t: string) => caller.strip(t);
  const microservice = () => {
    if (!options.reportsUrl) throw new KalturaConfigError('The Reports Microservice URL is not configured (KALTURA_REPORTS_URL).');
    return new ReportsMicroservice(options.reportsUrl, transport, strip);
  };
  const D = REPORT_DELIMITER;

  const getTablePage = async (request: ReportRequest, pageSize: number, pageIndex: number) =>
    parseTablePage(await caller.call('report', 'getTable', tableParams(request, pageSize, pageIndex)), D, pageIndex);

  const client: KalturaClient = {
    partnerId: options.partnerId,

    call: (service, action, params = {}) => caller.call(service, action, params),

    async multirequest(requests) {
      const results = await caller.multirequest(requests.map((r) => ({ service: r.service, action: r.action, ...(r.params ? { params: r.params } : {}) })));
      return results.map((r) => (r.ok ? { ok: true as const, value: r.value } : { ok: false as const, error: r.error }));
    },

    async getTotal(request) {
      return parseTotal(await caller.call('report', 'getTotal', totalParams(request)), D);
    },

    async getTable(request) {
      // The server would fail this page with a generic INTERNAL_SERVERL_ERROR (retried in vain).
      if (request.pageIndex > 1 && request.pageIndex * request.pageSize > MAX_TABLE_ROWS) throw new KalturaRowLimitError((request.pageIndex - 1) * request.pageSize, 0);
      return parseTable(await caller.call('report', 'getTable', tableParams(request, Math.min(request.pageSize, MAX_TABLE_ROWS), request.pageIndex)), D);
    },

    async getGraphs(request) {
      return parseGraphs(await caller.call('report', 'getGraphs', graphsParams(request)), D);
    },

    async getReportBundle(request): Promise<ReportBundle> {
      const [total, graphs, table] = await caller.multirequest([
        { service: 'report', action: 'getTotal', params: totalParams(request) },
        { service: 'report', action: 'getGraphs', params: graphsParams(request) },
        { service: 'report', action: 'getTable', params: tableParams(request, Math.min(request.pageSize ?? 500, MAX_TABLE_ROWS), 1) },
      ]);
      return {
        total: settle(total!, (v) => parseTotal(v, D)),
        graphs: settle(graphs!, (v) => parseGraphs(v, D)),
        table: settle(table!, (v) => parseTable(v, D)),
      };
    },

    iterateTable(request) {
      const { pageSize, maxRows, onRowLimit, ...rest } = request;
      return pageTable((size, index) => getTablePage(rest, size, index), {
        ...(pageSize !== undefined ? { pageSize } : {}),
        ...(maxRows !== undefined ? { maxRows } : {}),
        ...(onRowLimit ? { onRowLimit } : {}),
      });
    },

    async getUrlForReportAsCsv(request) {
      const params = {
        reportTitle: request.reportTitle,
        reportText: request.reportText ?? '',
        headers: csvHeadersParam(request.totalHeaders ?? [], request.tableHeaders),
        ...reportParams(request),
      };
      // The server answers `null` when the report failed inside it: the action swallows the exception
      // (WIRE_FACTS §2.1), so a passing hiccup (a Druid timeout) and a report that can never work look
      // the same. Ask again like a transient failure, then give up with a retryable error (a later
      // redelivery of the job may succeed; the dead-letter queue ends it otherwise).
      for (let attempt = 0; ; attempt++) {
        const value = await caller.call('report', 'getUrlForReportAsCsv', params);
        if (value !== null && value !== undefined && value !== '') return validateCsvUrl(value);
        if (attempt >= transport.options.maxRetries) {
          throw new KalturaResponseError(
            `Kaltura report.getUrlForReportAsCsv returned no URL (null) ${attempt + 1} times: the server hides report failures this way; check the report type, filter and headers, or narrow the window`,
            { retryable: true },
          );
        }
        logger?.warn('kaltura getUrlForReportAsCsv returned null; asking again', { attempt: attempt + 1 });
        logger?.metric('KalturaRetry', 1, { call: 'report.getUrlForReportAsCsv' });
        await new Promise((resolve) => setTimeout(resolve, transport.backoffMs(attempt + 1)));
      }
    },

    async downloadCsvUrl(url) {
      const call = `download ${describeUrl(url)}`;
      return transport.withRetries('report.serve', async () => {
        const res = await transport.stream({ url, method: 'GET', call: 'report.serve' });
        const died = xKalturaErrorCode(res.headers);
        if (died) {
          res.body.resume();
          // Usually the URL's own KS expired (24 h) or the file is gone: ask for a new URL.
          throw new KalturaApiError({ code: died, message: `CSV download refused (${describeUrl(url)}); request a new URL with getUrlForReportAsCsv`, call: 'report.serve', knownSecrets: caller.known() });
        }
        await refuseHtmlPage(res, 'report.serve');
        return toCsvDownload(res, call, transport.options.timeoutMs);
      });
    },

    async getCsvFromStringParams(request) {
      const params = Object.entries(request.params ?? {})
        .map(([k, v]) => `${k}=${String(v).replace(/;/g, ' ')}`)
        .join(';');
      const res = await caller.file('report', 'getCsvFromStringParams', {
        id: request.id,
        ...(params ? { params } : {}),
        ...(request.excludedFields?.length ? { excludedFields: request.excludedFields.join(',') } : {}),
      });
      return toCsvDownload(res, 'report.getCsvFromStringParams', transport.options.timeoutMs);
    },

    async microserviceGenerate(request) {
      const ms = microservice();
      return caller.withSession('reports.generate', { privileges: request.privileges ?? [] }, (ks) => ms.generate(ks, request.reportName, request.reportParameters ?? {}));
    },

    async microserviceStatus(sessionId, opts) {
      const ms = microservice();
      return caller.withSession('reports.serve', { privileges: opts?.privileges ?? [] }, (ks) => ms.status(ks, sessionId));
    },

    async microserviceDownload(sessionId, opts) {
      const ms = microservice();
      return caller.withSession('reports.serve', { privileges: opts?.privileges ?? [] }, (ks) => ms.download(ks, sessionId));
    },

    async listHealthBeacons(request) {
      if (request.entryIds.length === 0) return [];
      return parseHealthBeacons(await caller.call(BEACON_SERVICE, 'list', healthBeaconParams(request)));
    },

    async getLiveAudience(request) {
      return parseLiveAudience(await caller.call(LIVE_REPORTS_SERVICE, 'getEvents', liveEventsParams(request)));
    },

    async listNotificationTemplates(request) {
      // Partner 0 holds the system templates, listed with listTemplates; the partner's own with list.
      const action = request.partnerIdEqual === 0 ? 'listTemplates' : 'list';
      const value = await caller.call(TEMPLATE_SERVICE, action, {
        filter: {
          objectType: 'KalturaEventNotificationTemplateFilter',
          ...(request.systemNameEqual ? { systemNameEqual: request.systemNameEqual } : {}),
          ...(request.partnerIdEqual !== undefined && request.partnerIdEqual !== 0 ? { partnerIdEqual: request.partnerIdEqual } : {}),
        },
        pager: { objectType: 'KalturaFilterPager', pageSize: 500, pageIndex: 1 },
      });
      const objects = (value as { objects?: unknown } | null)?.objects;
      if (objects !== undefined && objects !== null && !Array.isArray(objects)) throw new KalturaResponseError(`Kaltura ${TEMPLATE_SERVICE}.${action} answer has no objects array.`);
      return ((objects as unknown[] | undefined) ?? []).map(toTemplate);
    },

    async cloneNotificationTemplate(id, template) {
      const value = await caller.call(TEMPLATE_SERVICE, 'clone', {
        id,
        eventNotificationTemplate: { objectType: 'KalturaHttpNotificationTemplate', ...template },
      });
      return toTemplate(value);
    },

    async updateNotificationTemplateStatus(id, status) {
      // EventNotificationTemplateStatus: 1 DISABLED, 2 ACTIVE.
      return toTemplate(await caller.call(TEMPLATE_SERVICE, 'updateStatus', { id, status: status === 'active' ? 2 : 1 }));
    },

    getKs: (opts) => session.get(opts?.privileges ?? []),

    async getEntry(entryId) {
      try {
        const value = (await caller.call('baseentry', 'get', { entryId })) as Record<string, unknown> | null;
        if (!value || typeof value.id !== 'string') return undefined;
        return {
          id: value.id,
          ...(typeof value.name === 'string' ? { name: value.name } : {}),
          ...(value.status !== undefined && value.status !== null && Number.isFinite(Number(value.status)) ? { status: Number(value.status) } : {}),
        };
      } catch (error) {
        if (error instanceof KalturaApiError && error.code === 'ENTRY_ID_NOT_FOUND') return undefined;
        throw error;
      }
    },

    close: () => transport.close(),
  };
  return client;
}

const numberFromEnv = z.pipe(z.string().check(z.regex(/^\d+$/, 'must be a whole number')), z.transform(Number));
const EnvSchema = z.object({
  KALTURA_SERVICE_URL: z.url(),
  KALTURA_PARTNER_ID: numberFromEnv,
  KALTURA_ADMIN_SECRET: z.optional(z.string().check(z.minLength(1))),
  KALTURA_APP_TOKEN_ID: z.optional(z.string().check(z.minLength(1))),
  KALTURA_APP_TOKEN: z.optional(z.string().check(z.minLength(1))),
  KALTURA_APP_TOKEN_HASH_TYPE: z.optional(z.enum(['SHA1', 'SHA256', 'SHA512', 'MD5'])),
  KALTURA_REPORTS_URL: z.optional(z.url()),
  KALTURA_USER_ID: z.optional(z.string()),
  KALTURA_PRIVILEGES: z.optional(z.string()),
  KALTURA_TIMEOUT_MS: z.optional(numberFromEnv),
  KALTURA_MAX_RETRIES: z.optional(numberFromEnv),
  KALTURA_MAX_CONCURRENT_REQUESTS: z.optional(z.pipe(numberFromEnv, z.int().check(z.gte(1)))),
});

/**
 * Client options from the environment (SPEC §3): KALTURA_SERVICE_URL (normalised: with or without
 * `/api_v3`, see service-url.ts), KALTURA_PARTNER_ID and
 * KALTURA_ADMIN_SECRET, or KALTURA_APP_TOKEN_ID + KALTURA_APP_TOKEN (preferred when set; hash
 * type KALTURA_APP_TOKEN_HASH_TYPE, default SHA1 as on the server); optional KALTURA_REPORTS_URL, KALTURA_USER_ID,
 * KALTURA_PRIVILEGES (comma list), KALTURA_TIMEOUT_MS, KALTURA_MAX_RETRIES, KALTURA_MAX_CONCURRENT_REQUESTS.
 * Empty strings count as unset.
 */
export function kalturaClientOptionsFromEnv(env: NodeJS.ProcessEnv, logger?: Logger): KalturaClientOptions {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('KALTURA_') && v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const details = formatIssues('environment', parsed.error.issues);
    throw new ValidationError(`Kaltura settings are invalid: ${details.join('; ')}. Set them as described in the README (SPEC §3).`, details);
  }
  const e = parsed.data;
  let serviceUrl: string;
  try {
    serviceUrl = normalizeServiceUrl(e.KALTURA_SERVICE_URL);
  } catch (error) {
    throw new ValidationError(`Kaltura settings are invalid: ${(error as Error).message}`, [`environment: KALTURA_SERVICE_URL: ${(error as Error).message.replace(/^KALTURA_SERVICE_URL /, '')}`]);
  }
  const hasToken = Boolean(e.KALTURA_APP_TOKEN_ID && e.KALTURA_APP_TOKEN);
  if (Boolean(e.KALTURA_APP_TOKEN_ID) !== Boolean(e.KALTURA_APP_TOKEN)) {
    throw new ValidationError('Kaltura settings are invalid: KALTURA_APP_TOKEN_ID and KALTURA_APP_TOKEN must be set together.', ['environment: KALTURA_APP_TOKEN: set both or neither']);
  }
  if (!hasToken && !e.KALTURA_ADMIN_SECRET) {
    throw new ValidationError('Kaltura settings are invalid: set KALTURA_ADMIN_SECRET, or KALTURA_APP_TOKEN_ID and KALTURA_APP_TOKEN.', ['environment: KALTURA_ADMIN_SECRET: required without an app token']);
  }
  return {
    serviceUrl,
    partnerId: e.KALTURA_PARTNER_ID,
    ...(e.KALTURA_ADMIN_SECRET ? { adminSecret: e.KALTURA_ADMIN_SECRET } : {}),
    ...(hasToken ? { appToken: { id: e.KALTURA_APP_TOKEN_ID!, token: e.KALTURA_APP_TOKEN!, hashType: e.KALTURA_APP_TOKEN_HASH_TYPE ?? 'SHA1' } } : {}),
    ...(e.KALTURA_REPORTS_URL ? { reportsUrl: e.KALTURA_REPORTS_URL } : {}),
    ...(e.KALTURA_USER_ID ? { userId: e.KALTURA_USER_ID } : {}),
    ...(e.KALTURA_PRIVILEGES ? { privileges: e.KALTURA_PRIVILEGES.split(',').map((p) => p.trim()).filter(Boolean) } : {}),
    ...(e.KALTURA_TIMEOUT_MS !== undefined ? { timeoutMs: e.KALTURA_TIMEOUT_MS } : {}),
    ...(e.KALTURA_MAX_RETRIES !== undefined ? { maxRetries: e.KALTURA_MAX_RETRIES } : {}),
    ...(e.KALTURA_MAX_CONCURRENT_REQUESTS !== undefined ? { maxConcurrentRequests: e.KALTURA_MAX_CONCURRENT_REQUESTS } : {}),
    ...(logger ? { logger } : {}),
  };
}
