/**
 * The whole client against the Kaltura simulator over real HTTP: reports, multirequest, paging,
 * sessions (admin secret and app token), every fault of the simulator, CSV, the Reports
 * Microservice, beacons, live reports and notification templates. Request counts come from the
 * simulator's request log.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../simulator/index.js';
import type { KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { createKalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { KalturaApiError, KalturaMicroserviceJobError, KalturaRowLimitError, KalturaTransportError } from '../../shared/kaltura/errors.js';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import { countCalls, JUNE_2025, simulatorWithClient } from './helpers/simulator-client.js';

let sim: Simulator;
let client: KalturaClient;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ sim, client, close } = await simulatorWithClient({ bigRowCount: 2_600, microserviceJobMs: 150 }));
});
afterAll(async () => close());
beforeEach(() => {
  sim.clearFaults();
  sim.clearRequests();
});

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks);
}

const entryFilter = (entryId: string) => ({ ...JUNE_2025, entryIdIn: [entryId] });

describe('reports', () => {
  it('reads totals, a table and graphs keyed by header name, deterministically', async () => {
    // Act
    const total = await client.getTotal({ reportType: 1, filter: entryFilter('1_demo') });
    const again = await client.getTotal({ reportType: 1, filter: entryFilter('1_demo') });
    const table = await client.getTable({ reportType: 1, filter: JUNE_2025, pageSize: 10, pageIndex: 1 });
    const graphs = await client.getGraphs({ reportType: 1, filter: entryFilter('1_demo') });
    // Assess
    expect(total.header).toContain('count_plays');
    expect(Number(total.values.count_plays)).toBeGreaterThan(0);
    expect(again).toEqual(total);
    expect(table.rows.length).toBeGreaterThan(0);
    for (const row of table.rows) expect(Object.keys(row)).toEqual(table.header);
    expect(graphs.length).toBeGreaterThan(0);
    expect(graphs[0]!.points[0]!.label).toMatch(/^\d{8}$/);
  });

  it('reads the empty shapes for a quiet entry', async () => {
    const total = await client.getTotal({ reportType: 1, filter: entryFilter('1_quiet_one') });
    const table = await client.getTable({ reportType: 1, filter: entryFilter('1_quiet_one'), pageSize: 10, pageIndex: 1 });
    const graphs = await client.getGraphs({ reportType: 1, filter: entryFilter('1_quiet_one') });
    expect(table.rows).toEqual([]);
    expect(table.totalCount).toBe(0);
    for (const value of Object.values(total.values)) expect(['', '0']).toContain(value);
    for (const graph of graphs) for (const p of graph.points) expect(Number(p.value)).toBe(0);
  });

  it('gets totals, graphs and table in one multirequest', async () => {
    const bundle = await client.getReportBundle({ reportType: 1, filter: entryFilter('1_demo'), pageSize: 5 });
    expect(bundle.total.ok && bundle.graphs.ok && bundle.table.ok).toBe(true);
    expect(countCalls(sim, 'multirequest', '')).toBe(1);
    expect(sim.requests).toHaveLength(1); // the session is already cached: one HTTP call in all
    if (bundle.total.ok) expect(bundle.total.value).toEqual(await client.getTotal({ reportType: 1, filter: entryFilter('1_demo') }));
  });

  it('reports per-item errors of a multirequest without failing the other items', async () => {
    const results = await client.multirequest([
      { service: 'report', action: 'getTotal', params: { reportType: 1, reportInputFilter: { objectType: 'KalturaEndUserReportInputFilter', ...JUNE_2025 } } },
      { service: 'report', action: 'getTable', params: { reportType: 1, reportInputFilter: { objectType: 'KalturaEndUserReportInputFilter', ...JUNE_2025 } } }, // no pager
    ]);
    expect(results[0]!.ok).toBe(true);
    expect(results[1]!.ok).toBe(false);
    if (!results[1]!.ok) expect(results[1]!.error).toMatchObject({ code: 'MISSING_MANDATORY_PARAMETER', args: { PARAM_NAME: 'pager' } });
  });

  it('pages a big table with one page in memory and every row once', async () => {
    const ids = new Set<string>();
    let pages = 0;
    let header: ReadonlyArray<string> = [];
    for await (const page of client.iterateTable({ reportType: 1, filter: entryFilter('1_big_one'), pageSize: 1000 })) {
      pages++;
      header = page.header;
      expect(page.rows.length).toBeLessThanOrEqual(1000);
      for (const row of page.rows) ids.add(row.join('|'));
    }
    expect(pages).toBe(3);
    expect(ids.size).toBe(2600);
    expect(header.length).toBeGreaterThan(0);
  });

  it('does not retry a permanent error (INVALID_ENUM_VALUE for an unknown report type)', async () => {
    const error = await client.getTotal({ reportType: 'NO_SUCH_REPORT', filter: JUNE_2025 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KalturaApiError);
    expect(error).toMatchObject({ code: 'INVALID_ENUM_VALUE', retryable: false });
    expect(countCalls(sim, 'report', 'getTotal')).toBe(1);
  });
});

describe('faults over real HTTP', () => {
  it('retries HTTP 5xx and succeeds', async () => {
    sim.injectFault({ kind: 'http-status', status: 503, times: 2, match: { action: 'getTotal' } });
    await expect(client.getTotal({ reportType: 1, filter: JUNE_2025 })).resolves.toBeDefined();
    expect(countCalls(sim, 'report', 'getTotal')).toBe(3);
  });

  it('stops after maxRetries on persistent 5xx with a retryable error', async () => {
    sim.injectFault({ kind: 'http-status', status: 502, times: 10, match: { action: 'getTotal' } });
    const error = await client.getTotal({ reportType: 1, filter: JUNE_2025 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KalturaTransportError);
    expect((error as KalturaTransportError).retryable).toBe(true);
    expect(countCalls(sim, 'report', 'getTotal')).toBe(4); // 1 + maxRetries (3)
  });

  it('times out a slow answer and retries', async () => {
    const logger = createMemoryLogger();
    const { sim: s, client: c, close: done } = await simulatorWithClient({}, { timeoutMs: 300, logger });
    try {
      s.injectFault({ kind: 'delay', ms: 1500, times: 1, match: { action: 'getTotal' } });
      await expect(c.getTotal({ reportType: 1, filter: JUNE_2025 })).resolves.toBeDefined();
      // The late answer is abandoned (the simulator does not log it); the retry is.
      expect(countCalls(s, 'report', 'getTotal')).toBe(1);
      const retries = logger.lines.map((l) => JSON.parse(l) as { message: string; error?: { message?: string } }).filter((l) => l.message === 'kaltura call failed; retrying');
      expect(retries).toHaveLength(1);
      expect(retries[0]!.error?.message).toContain('timed out after 300 ms');
    } finally {
      await done();
    }
  });

  it('retries a dropped connection', async () => {
    sim.injectFault({ kind: 'drop-connection', times: 2, match: { action: 'getTable' } });
    const table = await client.getTable({ reportType: 1, filter: JUNE_2025, pageSize: 5, pageIndex: 1 });
    expect(table.rows.length).toBeGreaterThan(0);
    expect(sim.requests.filter((r) => r.action === 'getTable').map((r) => r.httpStatus)).toEqual([0, 0, 200]);
  });

  it('does not retry a permanent API error (SERVICE_FORBIDDEN)', async () => {
    sim.injectFault({ kind: 'api-error', code: 'SERVICE_FORBIDDEN', args: { SERVICE: 'report->getTotal' }, times: 5, match: { action: 'getTotal' } });
    const error = await client.getTotal({ reportType: 1, filter: JUNE_2025 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KalturaApiError', code: 'SERVICE_FORBIDDEN', retryable: false });
    expect(countCalls(sim, 'report', 'getTotal')).toBe(1);
  });

  it('retries a retryable API error (DRUID_QUERY_TIMED_OUT)', async () => {
    sim.injectFault({ kind: 'api-error', code: 'DRUID_QUERY_TIMED_OUT', times: 1, match: { action: 'getTotal' } });
    await expect(client.getTotal({ reportType: 1, filter: JUNE_2025 })).resolves.toBeDefined();
    expect(countCalls(sim, 'report', 'getTotal')).toBe(2);
  });

  it('renews the session after INVALID_KS and uses the renewed KS', async () => {
    // Prepare: a fresh client so its session is started in this test.
    const c = createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5 });
    try {
      await c.getTotal({ reportType: 1, filter: JUNE_2025 });
      sim.injectFault({ kind: 'invalid-ks-after', calls: 1 });
      await c.getTotal({ reportType: 1, filter: JUNE_2025 });
      // Act: the old KS is now invalid; the call must renew and succeed.
      const total = await c.getTotal({ reportType: 1, filter: JUNE_2025 });
      const more = await c.getTotal({ reportType: 1, filter: JUNE_2025 });
      // Assess: two session.start overall; the renewed KS keeps working without another renewal.
      expect(total.header.length).toBeGreaterThan(0);
      expect(more).toEqual(total);
      expect(countCalls(sim, 'session', 'start')).toBe(2);
    } finally {
      await c.close();
    }
  });

  it('renews inside a multirequest too', async () => {
    const c = createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5 });
    try {
      await c.getTotal({ reportType: 1, filter: JUNE_2025 });
      sim.injectFault({ kind: 'invalid-ks-after', calls: 0 });
      const bundle = await c.getReportBundle({ reportType: 1, filter: JUNE_2025 });
      expect(bundle.total.ok && bundle.table.ok && bundle.graphs.ok).toBe(true);
      expect(countCalls(sim, 'session', 'start')).toBe(2);
    } finally {
      await c.close();
    }
  });

  it('fails a truncated CSV download with a retryable error', async () => {
    const url = await client.getUrlForReportAsCsv({ reportType: 1, filter: JUNE_2025, reportTitle: 'Top content', totalHeaders: ['Plays'], tableHeaders: ['Entry', 'Name', 'Plays'] });
    sim.injectFault({ kind: 'truncate-download', times: 1 });
    const download = await client.downloadCsvUrl(url);
    const error = await readAll(download.body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KalturaTransportError);
    expect(error).toMatchObject({ retryable: true });
    // A second download of the same URL is complete.
    const again = await client.downloadCsvUrl(url);
    const bytes = await readAll(again.body);
    expect(bytes.length).toBe(again.contentLength);
  });
});

describe('sessions', () => {
  it('starts one admin session for many calls', async () => {
    const c = createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret });
    try {
      await Promise.all([1, 2, 3].map(() => c.getTotal({ reportType: 1, filter: JUNE_2025 })));
      await c.getTotal({ reportType: 1, filter: JUNE_2025 });
      expect(countCalls(sim, 'session', 'start')).toBe(1);
      const start = sim.requests.find((r) => r.action === 'start')!;
      expect(start.params).toMatchObject({ type: '2', partnerId: String(sim.partnerId) });
    } finally {
      await c.close();
    }
  });

  it('prefers the app token: widget session, then appToken.startSession with the tokenHash', async () => {
    const c = createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, appToken: sim.appToken, privileges: ['virtualeventid:77'] });
    try {
      const total = await c.getTotal({ reportType: 1, filter: JUNE_2025 });
      expect(total.header.length).toBeGreaterThan(0);
      expect(countCalls(sim, 'session', 'startWidgetSession')).toBe(1);
      expect(countCalls(sim, 'apptoken', 'startSession')).toBe(1);
      expect(countCalls(sim, 'session', 'start')).toBe(0);
      const widget = sim.requests.find((r) => r.action.toLowerCase() === 'startwidgetsession')!;
      expect(widget.params.widgetId).toBe(`_${sim.partnerId}`);
    } finally {
      await c.close();
    }
  });

  it('reports a wrong app token as a permanent APP_TOKEN/INVALID_APP_TOKEN_HASH error', async () => {
    const c = createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, appToken: { ...sim.appToken, token: 'ffffffffffffffffffffffffffffffff' }, retryBaseDelayMs: 5 });
    try {
      const error = await c.getTotal({ reportType: 1, filter: JUNE_2025 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KalturaApiError);
      expect((error as KalturaApiError).code).toMatch(/APP_TOKEN|INVALID_APP_TOKEN_HASH/);
      expect((error as KalturaApiError).retryable).toBe(false);
      expect(countCalls(sim, 'apptoken', 'startSession')).toBe(1);
    } finally {
      await c.close();
    }
  });

  it('reports a wrong admin secret as START_SESSION_ERROR without the secret in the message', async () => {
    const wrong = '0123456789abcdef0123456789abcdef';
    const c = createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, adminSecret: wrong });
    try {
      const error = (await c.getTotal({ reportType: 1, filter: JUNE_2025 }).catch((e: unknown) => e)) as KalturaApiError;
      expect(error.code).toBe('START_SESSION_ERROR');
      expect(error.message).not.toContain(wrong);
      expect(countCalls(sim, 'session', 'start')).toBe(1);
    } finally {
      await c.close();
    }
  });
});

describe('CSV exports', () => {
  it('getUrlForReportAsCsv sends "<totals>;<table>" headers and the URL downloads as a complete CSV', async () => {
    const url = await client.getUrlForReportAsCsv({ reportType: 1, filter: JUNE_2025, reportTitle: 'Top content', totalHeaders: ['Plays', 'Minutes'], tableHeaders: ['Entry', 'Name', 'Plays'] });
    const call = sim.requests.find((r) => r.action === 'getUrlForReportAsCsv')!;
    expect(call.params.headers).toBe('Plays,Minutes;Entry,Name,Plays');
    const download = await client.downloadCsvUrl(url);
    const text = (await readAll(download.body)).toString('utf8');
    expect(text.startsWith('\ufeff')).toBe(true);
    expect(text).toContain('"# Table"');
  });

  it('getCsvFromStringParams streams the raw CSV body with its BOM', async () => {
    const download = await client.getCsvFromStringParams({ id: 4021, params: { from_date_id: '20250601', to_date_id: '20250630' } });
    const bytes = await readAll(download.body);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(download.contentType).toMatch(/text\/csv/);
  });

  it('getCsvFromStringParams turns REPORT_NOT_FOUND into a KalturaApiError', async () => {
    await expect(client.getCsvFromStringParams({ id: 999999 })).rejects.toMatchObject({ code: 'REPORT_NOT_FOUND', retryable: false });
  });
});

describe('Reports Microservice', () => {
  it('generates, polls with statusOnly until completed, and downloads the CSV', async () => {
    const { sessionId } = await client.microserviceGenerate({ reportName: 'pollsActivity', reportParameters: { virtual_event_ids: ['123'] }, privileges: ['virtualeventid:123'] });
    let status = await client.microserviceStatus(sessionId, { privileges: ['virtualeventid:123'] });
    for (let i = 0; i < 50 && status.status !== 'completed' && status.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await client.microserviceStatus(sessionId, { privileges: ['virtualeventid:123'] });
    }
    expect(status.status).toBe('completed');
    const download = await client.microserviceDownload(sessionId, { privileges: ['virtualeventid:123'] });
    expect((await readAll(download.body)).length).toBeGreaterThan(0);
  });

  it('reports a failed job with its reason', async () => {
    sim.injectFault({ kind: 'microservice-fail', reason: 'appGuid is required', times: 1 });
    const { sessionId } = await client.microserviceGenerate({ reportName: 'registration' });
    let status = await client.microserviceStatus(sessionId);
    for (let i = 0; i < 50 && status.status !== 'failed' && status.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await client.microserviceStatus(sessionId);
    }
    expect(status).toEqual({ status: 'failed', reason: expect.stringContaining('appGuid is required') });
    void KalturaMicroserviceJobError;
  });

  it('keeps a stuck job pending or in progress', async () => {
    sim.injectFault({ kind: 'microservice-stuck', times: 1 });
    const { sessionId } = await client.microserviceGenerate({ reportName: 'registration' });
    await new Promise((r) => setTimeout(r, 400));
    expect(['pending', 'in_progress']).toContain((await client.microserviceStatus(sessionId)).status);
  });
});

describe('live entries, templates and entries', () => {
  it('reads maxSeverity 4 on the primary stream of an unhealthy entry', async () => {
    const beacons = await client.listHealthBeacons({ entryIds: ['1_unhealthy_live'] });
    expect(beacons.some((b) => b.stream === 'primary' && b.maxSeverity === 4)).toBe(true);
    const call = sim.requests.find((r) => r.action === 'list')!;
    expect(call.params.filter).toMatchObject({ objectType: 'KalturaBeaconFilter', relatedObjectTypeIn: '4', indexTypeEqual: 'Log', eventTypeIn: '0_healthData,1_healthData' });
  });

  it('reads healthy beacons as severity below 3', async () => {
    const beacons = await client.listHealthBeacons({ entryIds: ['1_fine_live'] });
    for (const b of beacons) expect(b.maxSeverity ?? 0).toBeLessThan(3);
  });

  it('reads live audience points', async () => {
    const now = Math.floor(Date.now() / 1000);
    const points = await client.getLiveAudience({ entryId: '1_live', fromTime: now - 110, toTime: now - 20 });
    for (const p of points) {
      expect(p.time).toBeGreaterThanOrEqual(now - 120);
      expect(p.audience).toBeGreaterThanOrEqual(0);
    }
  });

  it('lists, clones and activates a notification template', async () => {
    const system = await client.listNotificationTemplates({ systemNameEqual: 'HTTP_ENTRY_STATUS_EQUALS', partnerIdEqual: 0 });
    expect(system.length).toBeGreaterThan(0);
    const clone = await client.cloneNotificationTemplate(system[0]!.id, { name: 'kreports', systemName: 'KREPORTS_ENTRY_READY', url: 'http://127.0.0.1:9/webhooks/kaltura' });
    expect(clone.id).not.toBe(system[0]!.id);
    const active = await client.updateNotificationTemplateStatus(clone.id, 'active');
    expect(active.status).toBe(2);
    const mine = await client.listNotificationTemplates({ systemNameEqual: 'KREPORTS_ENTRY_READY' });
    expect(mine.map((t) => t.id)).toContain(clone.id);
  });

  it('gets an entry with its name (for alert messages)', async () => {
    const entry = await client.getEntry('1_demo');
    expect(entry?.id).toBe('1_demo');
    expect(typeof entry?.name).toBe('string');
  });
});

describe('row limit', () => {
  it('fails loudly instead of returning a short export past 12000 rows', async () => {
    const { client: c, close: done } = await simulatorWithClient({ bigRowCount: 13_000 });
    try {
      let rows = 0;
      const error = await (async () => {
        for await (const page of c.iterateTable({ reportType: 1, filter: entryFilter('1_big'), pageSize: 6000 })) rows += page.rows.length;
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KalturaRowLimitError);
      expect(rows).toBe(12000);
    } finally {
      await done();
    }
  });
});

describe('refused downloads', () => {
  it('turns an X-Kaltura error on report.serve (URL KS no longer valid) into a permanent KalturaApiError', async () => {
    const url = await client.getUrlForReportAsCsv({ reportType: 1, filter: JUNE_2025, reportTitle: 't', tableHeaders: ['a'] });
    const forged = url.replace(/\/ks\/[^/]+\//, '/ks/djJ8bm90LWEtdmFsaWQta3MtYXQtYWxsLXJlYWxseQ==/');
    const error = await client.downloadCsvUrl(forged).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KalturaApiError);
    expect(error).toMatchObject({ code: 'ACCESS_CONTROL_RESTRICTED', retryable: false });
    expect((error as Error).message).not.toContain('djJ8bm90');
  });
});

describe('renewed KS on the wire', () => {
  it('after INVALID_KS the retried call carries the KS of the new session (seen through a recording proxy)', async () => {
    // Prepare: a proxy in front of the simulator shows the exact bodies both ways.
    const { startRecordingProxy } = await import('./helpers/recording-proxy.js');
    const proxy = await startRecordingProxy(new URL(sim.serviceUrl).origin);
    const c = createKalturaClient({ serviceUrl: sim.serviceUrl.replace(new URL(sim.serviceUrl).origin, proxy.origin), partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5 });
    try {
      await c.getTotal({ reportType: 1, filter: JUNE_2025 });
      sim.injectFault({ kind: 'invalid-ks-after', calls: 0 });
      // Act
      await c.getTotal({ reportType: 1, filter: JUNE_2025 });
      // Assess: request bodies in order: start, getTotal(KS1), getTotal(KS1, rejected), start, getTotal(KS2)
      const bodies = proxy.requestBodies.map((b) => new URLSearchParams(b));
      const starts = proxy.requestBodies.map((b, i) => [b, i] as const).filter(([b]) => b.includes('secret=')).map(([, i]) => i);
      expect(starts).toHaveLength(2);
      const ks1 = JSON.parse(proxy.responseBodies[starts[0]!]!) as string;
      const ks2 = JSON.parse(proxy.responseBodies[starts[1]!]!) as string;
      expect(ks2).not.toBe(ks1);
      const totals = bodies.filter((b) => b.get('reportType') === '1').map((b) => b.get('ks'));
      expect(totals).toEqual([ks1, ks1, ks2]);
      expect(proxy.responseBodies.filter((b) => b.includes('"INVALID_KS"'))).toHaveLength(1);
    } finally {
      await c.close();
      await proxy.close();
    }
  });
});

describe('getTable past the limit', () => {
  it('refuses a page beyond 12000 rows without calling Kaltura (it would answer INTERNAL_SERVERL_ERROR)', async () => {
    const error = await client.getTable({ reportType: 1, filter: JUNE_2025, pageSize: 5000, pageIndex: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KalturaRowLimitError);
    expect(countCalls(sim, 'report', 'getTable')).toBe(0);
  });
});
