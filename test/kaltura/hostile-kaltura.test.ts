/**
 * The client against a Kaltura that misbehaves (the simulator's fault injection): HTML pages, empty
 * and cut-short answers, a null CSV URL, a download that stops half way, sessions revoked mid-run.
 * Each must end in one readable error that says whether a retry can help, after retrying only what
 * can be helped — counted from the simulator's request log.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../simulator/index.js';
import type { KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { createKalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { KalturaApiError, KalturaResponseError, KalturaTransportError } from '../../shared/kaltura/errors.js';
import { countCalls, JUNE_2025, simulatorWithClient } from './helpers/simulator-client.js';

let sim: Simulator;
let client: KalturaClient;
let close: () => Promise<void>;

/** maxRetries 3 (the default): 4 attempts in all. */
const ATTEMPTS = 4;

beforeAll(async () => {
  ({ sim, client, close } = await simulatorWithClient({ microserviceJobMs: 50 }));
});
afterAll(async () => close());
beforeEach(() => {
  sim.clearFaults();
  sim.clearRequests();
});

const totalOf = (c: KalturaClient = client) => c.getTotal({ reportType: 1, filter: { ...JUNE_2025, entryIdIn: ['1_hostile'] } });
const failureOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error & { retryable?: boolean });
const csvRequest = { reportType: 1, filter: JUNE_2025, reportTitle: 'Top content', totalHeaders: ['Plays'], tableHeaders: ['Entry', 'Name', 'Plays'] };

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks);
}

describe('answers that are not JSON', () => {
  it('an HTML page with HTTP 200 is a URL problem: not retried, the page title and the setting named', async () => {
    // Prepare
    await totalOf();
    sim.clearRequests();
    sim.injectFault({ kind: 'html-page', title: 'Sign in to Corporate Proxy', times: 10, match: { action: 'getTotal' } });
    // Act
    const error = await failureOf(totalOf());
    // Assess
    expect(error).toBeInstanceOf(KalturaResponseError);
    expect(error?.retryable).toBe(false);
    expect(error?.message).toBe('Kaltura report.getTotal answered an HTML page ("Sign in to Corporate Proxy") instead of JSON: check that KALTURA_SERVICE_URL points at the Kaltura API server, not a web page or proxy');
    expect(countCalls(sim, 'report', 'getTotal')).toBe(1);
  });

  it('an HTML error page with HTTP 502 is a server error: retried, then reported with the number of attempts', async () => {
    // Prepare
    sim.injectFault({ kind: 'html-page', status: 502, title: '502 Bad Gateway', times: 10, match: { action: 'getTotal' } });
    // Act
    const error = await failureOf(totalOf());
    // Assess
    expect(error).toBeInstanceOf(KalturaTransportError);
    expect(error?.retryable).toBe(true);
    expect(error?.message).toBe(`Kaltura report.getTotal answered HTTP 502 (a temporary server error); tried ${ATTEMPTS} times`);
    expect(countCalls(sim, 'report', 'getTotal')).toBe(ATTEMPTS);
  });

  it.each([
    { kind: 'empty-body' as const, says: 'answered HTTP 200 with an empty body (the server failed while answering)' },
    { kind: 'truncated-json' as const, says: 'answered JSON that is cut short or malformed' },
  ])('$kind once is retried and the call succeeds; for good it fails, retryable, saying what came back', async ({ kind, says }) => {
    // Act
    sim.injectFault({ kind, times: 1, match: { action: 'getTotal' } });
    const recovered = await totalOf();
    sim.clearRequests();
    sim.injectFault({ kind, times: 10, match: { action: 'getTotal' } });
    const error = await failureOf(totalOf());
    // Assess
    expect(recovered.values.count_plays).toMatch(/^\d+$/);
    expect(error).toBeInstanceOf(KalturaResponseError);
    expect(error?.retryable).toBe(true);
    expect(error?.message).toContain(says);
    expect(error?.message).toMatch(new RegExp(`; tried ${ATTEMPTS} times$`));
    expect(countCalls(sim, 'report', 'getTotal')).toBe(ATTEMPTS);
  });

  it('a cut-short session.start answer is retried like any other call', async () => {
    // Prepare: a fresh client, whose first call starts the session.
    const c = createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5 });
    sim.injectFault({ kind: 'truncated-json', match: { service: 'session', action: 'start' } });
    try {
      // Act
      const total = await totalOf(c);
      // Assess
      expect(total.header.length).toBeGreaterThan(0);
      expect(countCalls(sim, 'session', 'start')).toBe(2);
    } finally {
      await c.close();
    }
  });

  it('the Reports Microservice behind an HTML page names KALTURA_REPORTS_URL', async () => {
    // Prepare
    sim.injectFault({ kind: 'html-page', match: { path: '/api/v1/report/generate' } });
    // Act
    const error = await failureOf(client.microserviceGenerate({ reportName: 'registration', reportParameters: {} }));
    // Assess
    expect(error).toBeInstanceOf(KalturaResponseError);
    expect(error?.message).toMatch(/^Kaltura reports\.generate answered an HTML page \("Service Temporarily Unavailable"\) instead of JSON: check that KALTURA_REPORTS_URL/);
  });
});

describe('getUrlForReportAsCsv answering null (the server swallowed a report failure)', () => {
  it('asks again, and gets the URL when the failure passes', async () => {
    // Prepare
    sim.injectFault({ kind: 'null-result', times: 2, match: { action: 'getUrlForReportAsCsv' } });
    // Act
    const url = await client.getUrlForReportAsCsv(csvRequest);
    // Assess
    expect(url).toMatch(/\/report\.csv$/);
    expect(countCalls(sim, 'report', 'getUrlForReportAsCsv')).toBe(3);
  });

  it('gives up after as many attempts as any call, with a retryable error that says what to check', async () => {
    // Prepare
    sim.injectFault({ kind: 'null-result', times: 10, match: { action: 'getUrlForReportAsCsv' } });
    // Act
    const error = await failureOf(client.getUrlForReportAsCsv(csvRequest));
    // Assess
    expect(error).toBeInstanceOf(KalturaResponseError);
    expect(error?.retryable).toBe(true);
    expect(error?.message).toBe(`Kaltura report.getUrlForReportAsCsv returned no URL (null) ${ATTEMPTS} times: the server hides report failures this way; check the report type, filter and headers, or narrow the window`);
    expect(countCalls(sim, 'report', 'getUrlForReportAsCsv')).toBe(ATTEMPTS);
  });
});

describe('a CSV download that stops half way', () => {
  it.each([
    { chunked: false, says: /: the download was cut short \((the connection ended after )?\d+ of \d+ bytes\)$/ },
    { chunked: true, says: /: the download was cut short \(the connection ended after \d+ bytes\)$/ },
  ])('fails the stream with a retryable error (chunked: $chunked), never a short file', async ({ chunked, says }) => {
    // Prepare
    const url = await client.getUrlForReportAsCsv(csvRequest);
    const whole = await readAll((await client.downloadCsvUrl(url)).body);
    sim.injectFault({ kind: 'truncate-download', chunked });
    // Act
    const download = await client.downloadCsvUrl(url);
    const error = await failureOf(readAll(download.body));
    // Assess
    expect(whole.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(KalturaTransportError);
    expect(error?.retryable).toBe(true);
    expect(error?.message).toMatch(says);
  });
});

describe('a CSV download answered by something else', () => {
  it.each([
    { what: 'report.serve', start: async () => client.downloadCsvUrl(await client.getUrlForReportAsCsv(csvRequest)), match: { action: 'serve' }, setting: 'KALTURA_SERVICE_URL' },
    { what: 'report.getCsvFromStringParams', start: () => client.getCsvFromStringParams({ id: 3006, params: { virtual_event_id: '1' } }), match: { action: 'getCsvFromStringParams' }, setting: 'KALTURA_SERVICE_URL' },
  ])('$what: an HTML page is refused, not stored as the CSV, and not retried', async ({ what, start, match, setting }) => {
    // Prepare
    sim.injectFault({ kind: 'html-page', title: 'Access denied', times: 10, match });
    // Act
    const error = await failureOf(start());
    // Assess
    expect(error).toBeInstanceOf(KalturaResponseError);
    expect(error?.retryable).toBe(false);
    expect(error?.message).toBe(`Kaltura ${what} answered an HTML page ("Access denied") instead of the CSV: check that ${setting} points at the Kaltura API server, not a web page or proxy`);
    expect(countCalls(sim, 'report', match.action)).toBe(1);
  });

  it('an empty 200 download is a failed answer (retryable), not an empty report', async () => {
    // Prepare
    const url = await client.getUrlForReportAsCsv(csvRequest);
    sim.injectFault({ kind: 'empty-body', match: { action: 'serve' } });
    // Act
    const download = await client.downloadCsvUrl(url);
    const error = await failureOf(readAll(download.body));
    // Assess
    expect(error).toBeInstanceOf(KalturaTransportError);
    expect(error?.retryable).toBe(true);
    expect(error?.message).toMatch(/: the download was empty \(the server failed while answering\)$/);
  });
});

describe('a CSV download that breaks before anyone reads it', () => {
  it('keeps the error for the reader instead of crashing the process', async () => {
    // Prepare: the body breaks while the caller is still busy elsewhere (opening its upload).
    const url = await client.getUrlForReportAsCsv(csvRequest);
    sim.injectFault({ kind: 'truncate-download', chunked: true });
    const download = await client.downloadCsvUrl(url);
    await new Promise<void>((resolve) => (download.body as NodeJS.ReadableStream).once('close', () => resolve()));
    // Act
    const error = await failureOf(readAll(download.body));
    // Assess
    expect(error).toBeInstanceOf(KalturaTransportError);
    expect(error?.message).toMatch(/the download was cut short/);
  });
});

describe('a KS the server starts rejecting mid-run', () => {
  it('a table read page by page renews the session once and finishes', async () => {
    // Prepare
    const c = createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5 });
    let rows = 0;
    try {
      // Act: the KS dies after the second page.
      for await (const page of c.iterateTable({ reportType: 1, filter: JUNE_2025, pageSize: 10 })) {
        rows += page.rows.length;
        if (page.pageIndex === 2) sim.injectFault({ kind: 'invalid-ks-after', calls: 0 });
      }
      // Assess
      expect(rows).toBe(36);
      expect(countCalls(sim, 'session', 'start')).toBe(2);
    } finally {
      await c.close();
    }
  });

  it('credentials revoked mid-run (no new session either) fail at once, naming what to check, without a retry loop', async () => {
    // Prepare
    const c = createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5 });
    try {
      await totalOf(c);
      sim.injectFault({ kind: 'invalid-ks-after', calls: 0 });
      sim.injectFault({ kind: 'api-error', code: 'START_SESSION_ERROR', times: 10, match: { service: 'session', action: 'start' } });
      sim.clearRequests();
      // Act
      const error = await failureOf(totalOf(c));
      // Assess
      expect(error).toBeInstanceOf(KalturaApiError);
      expect(error?.retryable).toBe(false);
      expect(error?.message).toMatch(/^Kaltura session\.start failed with START_SESSION_ERROR: .*\(check KALTURA_PARTNER_ID and KALTURA_ADMIN_SECRET\)$/);
      expect(countCalls(sim, 'session', 'start')).toBe(1);
      expect(countCalls(sim, 'report', 'getTotal')).toBe(1);
    } finally {
      await c.close();
    }
  });
});
