/**
 * Every kreports command that talks to Kaltura, through its bin, against a Kaltura that misbehaves (a
 * simulator started here, with fault injection, given to the CLI as KALTURA_SERVICE_URL): one readable
 * error line, exit 1 for failed work, retries only where they help (counted in the simulator's request
 * log), and nothing half-written in the bucket.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { runCli, tempDir, type CliResult } from './helpers.js';

let sim: Simulator;
let env: Record<string, string>;
const dirs: Array<{ remove: () => Promise<void> }> = [];

beforeAll(async () => {
  sim = await startSimulator({ bigRowCount: 9_000, microserviceJobMs: 200 });
  env = { KALTURA_SERVICE_URL: sim.serviceUrl, KALTURA_REPORTS_URL: sim.reportsUrl, KALTURA_PARTNER_ID: String(sim.partnerId), KALTURA_ADMIN_SECRET: sim.adminSecret };
});
afterAll(async () => {
  await sim.close();
  for (const d of dirs.splice(0)) await d.remove();
});
beforeEach(() => {
  sim.clearFaults();
  sim.clearRequests();
});

async function aDataDir(): Promise<string> {
  const dir = await tempDir('kreports-hostile-');
  dirs.push(dir);
  return dir.path;
}

/** Every file under DATA_DIR/bucket (temporary files included), relative to it. */
async function bucketFiles(dataDir: string): Promise<string[]> {
  const root = join(dataDir, 'bucket');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))).sort();
}

/** The one error line of a failed command: `kreports <command>: …`, last on stderr, no stack, no KS or secret. */
function errorLine(result: CliResult, command: string): string {
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  const errors = lines.filter((l) => l.startsWith(`kreports ${command}: `));
  expect(errors, result.stderr).toHaveLength(1);
  expect(lines.at(-1)).toBe(errors[0]);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr + result.stdout).not.toMatch(/djJ8/);
  expect(result.stderr + result.stdout).not.toContain(sim.adminSecret);
  return errors[0]!.slice(`kreports ${command}: `.length);
}

const calls = (action: string) => sim.requests.filter((r) => r.action.toLowerCase() === action.toLowerCase()).length;
const adHoc = (subject = '1_hostile') => ['export', '--report-type', '1', '--from', '2026-11-01', '--to', '2026-11-08', '--subject', subject, '--name', 'hostile'];

/** A configuration whose rule `csv` has one csv-url export job. */
async function csvUrlConfig(dataDir: string): Promise<string> {
  const file = join(dataDir, 'csv-url.yaml');
  await writeFile(file, [
    'version: 1',
    'rules:',
    '  - name: csv',
    '    when: { eventType: 3 }',
    '    jobs:',
    '      - { kind: export, name: top, scope: entry, source: { type: csv-url, reportType: 1, totalHeaders: [Plays], tableHeaders: [Entry, Name, Plays] } }',
  ].join('\n') + '\n');
  return file;
}
const csvUrlExport = ['export', 'csv', '--subject', '1_hostile', '--at', '2026-11-20T12:00:00Z'];

describe('kreports export against a hostile Kaltura', () => {
  it('an HTML page instead of the API: exit 1, one line naming the page and KALTURA_SERVICE_URL, not retried, bucket empty', async () => {
    // Prepare
    const dataDir = await aDataDir();
    sim.injectFault({ kind: 'html-page', title: 'Kaltura is down for maintenance', times: 100, match: { action: 'getTable' } });
    // Act
    const result = await runCli(adHoc(), { ...env, DATA_DIR: dataDir });
    // Assess
    expect(result.code).toBe(1);
    expect(errorLine(result, 'export')).toBe('Kaltura report.getTable answered an HTML page ("Kaltura is down for maintenance") instead of JSON: check that KALTURA_SERVICE_URL points at the Kaltura API server, not a web page or proxy');
    expect(result.stderr).not.toMatch(/attempt \d of \d failed/);
    expect(calls('getTable')).toBe(1);
    expect(await bucketFiles(dataDir)).toEqual([]);
  });

  it('one cut-short JSON answer is retried by the client and the export completes', async () => {
    // Prepare
    const dataDir = await aDataDir();
    sim.injectFault({ kind: 'truncated-json', match: { action: 'getTable' } });
    // Act
    const result = await runCli([...adHoc(), '--json'], { ...env, DATA_DIR: dataDir });
    // Assess
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(createHash('sha256').update(await readFile(join(dataDir, 'bucket', out.key))).digest('hex')).toBe(out.sha256);
    expect(calls('getTable')).toBe(2);
  });

  it('empty answers for good: each attempt retried, the export attempted 3 times, exit 1, bucket empty', async () => {
    // Prepare: one retry per call (KALTURA_MAX_RETRIES) keeps the test short.
    const dataDir = await aDataDir();
    sim.injectFault({ kind: 'empty-body', times: 1000, match: { action: 'getTable' } });
    // Act
    const result = await runCli(adHoc(), { ...env, DATA_DIR: dataDir, KALTURA_MAX_RETRIES: '1' });
    // Assess
    expect(result.code).toBe(1);
    expect(errorLine(result, 'export')).toBe('Kaltura report.getTable answered HTTP 200 with an empty body (the server failed while answering); tried 2 times (the export was attempted 3 times)');
    expect(result.stderr.match(/^attempt \d of 3 failed: /gm)).toHaveLength(2);
    expect(calls('getTable')).toBe(6);
    expect(await bucketFiles(dataDir)).toEqual([]);
  });

  it('a KS refused from the middle of a paged export on (renewing does not help): exit 1, one line with what to check', async () => {
    // Prepare: 9,000 rows in 3 pages; after 2 authenticated calls every KS, new ones too, is refused.
    const dataDir = await aDataDir();
    sim.injectFault({ kind: 'invalid-ks-after', calls: 2, later: true });
    // Act
    const result = await runCli(adHoc('1_big_hostile'), { ...env, DATA_DIR: dataDir });
    // Assess
    expect(result.code).toBe(1);
    expect(errorLine(result, 'export')).toMatch(/^Kaltura report\.getTable failed with INVALID_KS: Invalid KS "EXPIRED".*\(the session was renewed once and still rejected: check the partner id, secret or app token\)$/);
    expect(result.stderr).not.toMatch(/attempt \d of \d failed/);
    expect(calls('start')).toBe(2);
    expect(await bucketFiles(dataDir)).toEqual([]);
  });

  it('getUrlForReportAsCsv answering null for good: exit 1, one line saying what to check, bucket empty', async () => {
    // Prepare
    const dataDir = await aDataDir();
    sim.injectFault({ kind: 'null-result', times: 1000, match: { action: 'getUrlForReportAsCsv' } });
    // Act
    const result = await runCli(csvUrlExport, { ...env, DATA_DIR: dataDir, REPORTING_CONFIG: await csvUrlConfig(dataDir), KALTURA_MAX_RETRIES: '1' });
    // Assess
    expect(result.code).toBe(1);
    expect(errorLine(result, 'export')).toBe('Kaltura report.getUrlForReportAsCsv returned no URL (null) 2 times: the server hides report failures this way; check the report type, filter and headers, or narrow the window (the export was attempted 3 times)');
    expect(calls('getUrlForReportAsCsv')).toBe(6);
    expect(await bucketFiles(dataDir)).toEqual([]);
  });

  it.each([false, true])('a CSV download cut half way once (chunked: %s) is downloaded again, and the stored file is whole', async (chunked) => {
    // Prepare
    const dataDir = await aDataDir();
    sim.injectFault({ kind: 'truncate-download', chunked });
    // Act
    const result = await runCli([...csvUrlExport, '--json'], { ...env, DATA_DIR: dataDir, REPORTING_CONFIG: await csvUrlConfig(dataDir) });
    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^attempt 1 of 3 failed: Kaltura download .*: the download was cut short \(.*\); trying again in 0\.5 s$/m);
    const out = JSON.parse(result.stdout);
    const csv = await readFile(join(dataDir, 'bucket', out.key));
    expect(csv.length).toBe(out.bytes);
    expect(createHash('sha256').update(csv).digest('hex')).toBe(out.sha256);
    expect(await bucketFiles(dataDir)).toEqual([out.key, out.manifestKey].sort());
  });

  it('a CSV download cut half way every time: exit 1, one line, and no partial or temporary file in the bucket', async () => {
    // Prepare
    const dataDir = await aDataDir();
    sim.injectFault({ kind: 'truncate-download', times: 1000 });
    // Act
    const result = await runCli(csvUrlExport, { ...env, DATA_DIR: dataDir, REPORTING_CONFIG: await csvUrlConfig(dataDir) });
    // Assess
    expect(result.code).toBe(1);
    expect(errorLine(result, 'export')).toMatch(/^Kaltura download 127\.0\.0\.1:\d+\/api_v3\/index\.php\/service\/report\/action\/serve\/ks\/\[redacted\]\/id\/.*: the download was cut short \(.*\) \(the export was attempted 3 times\)$/);
    expect(await bucketFiles(dataDir)).toEqual([]);
  });
});

describe('kreports schedule run, setup-webhook and doctor against a hostile Kaltura', () => {
  it('schedule run: a job that keeps failing is retried by the in-process queue, then reported on one line and dead-lettered', async () => {
    // Prepare
    const dataDir = await aDataDir();
    const config = join(dataDir, 'weekly.yaml');
    await writeFile(config, [
      'version: 1',
      'schedules:',
      "  - { name: weekly, cron: '0 6 * * 1', timezone: UTC, subjects: [1_hostile], jobs: [ { kind: export, name: top, scope: entry, source: { type: table, reportType: 1 } } ] }",
    ].join('\n') + '\n');
    sim.injectFault({ kind: 'html-page', status: 503, times: 1000, match: { action: 'getTable' } });
    // Act
    const result = await runCli(['schedule', 'run', 'weekly', '--at', '2026-11-23T06:00:00Z'], { ...env, DATA_DIR: dataDir, REPORTING_CONFIG: config, KALTURA_MAX_RETRIES: '0' }, { timeoutMs: 120_000 });
    // Assess
    expect(result.code).toBe(1);
    const failed = result.stderr.split('\n').filter((l) => l.startsWith('failed '));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/^failed .*1_hostile.*: Kaltura report\.getTable answered HTTP 503 \(a temporary server error\).*\(dead letter export\/\S+\)$/);
    expect(calls('getTable')).toBeGreaterThan(1);
    expect((await bucketFiles(dataDir)).filter((f) => f.startsWith('reports/'))).toEqual([]);
    expect(await readdir(join(dataDir, 'dead-letters', 'export'))).toHaveLength(1);
  });

  it('setup-webhook: an HTML page instead of the API gives exit 1 and one line', async () => {
    // Prepare
    sim.injectFault({ kind: 'html-page', times: 100 });
    // Act
    const result = await runCli(['setup-webhook', '--url', 'https://hooks.example.com/webhooks/kaltura'], env);
    // Assess
    expect(result.code).toBe(1);
    expect(errorLine(result, 'setup-webhook')).toMatch(/^Kaltura session\.start answered an HTML page \("Service Temporarily Unavailable"\) instead of JSON: check that KALTURA_SERVICE_URL points at the Kaltura API server/);
  });

  it('doctor: cut-short answers for good fail the session check with what was seen, exit 1', async () => {
    // Prepare
    sim.injectFault({ kind: 'truncated-json', times: 100 });
    // Act
    const result = await runCli(['doctor'], env);
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^FAIL session: could not reach Kaltura or start a session \(KalturaResponseError: Kaltura session\.start answered JSON that is cut short or malformed \(\d+ bytes\); tried 2 times\): check KALTURA_SERVICE_URL and the network$/m);
  });
});

describe('kreports export while Kaltura sheds load', () => {
  it('waits as long as Kaltura\'s Retry-After asks (longer than the client waits in-process) and then exports, exit 0', async () => {
    // Prepare: 12 s of 429 with Retry-After, longer than the client's own 10 s in-process wait (found in review).
    const dataDir = await aDataDir();
    sim.injectFault({ kind: 'reject-for', status: 429, seconds: 12 });
    // Act
    const result = await runCli(adHoc('1_shed'), { ...env, DATA_DIR: dataDir }, { timeoutMs: 90_000 });
    // Assess
    expect(result.stderr).toMatch(/Kaltura asked to back off .*waiting \d+ s, as it asked/);
    expect(result.code).toBe(0);
    expect((await bucketFiles(dataDir)).filter((f) => f.endsWith('.csv'))).toHaveLength(1);
  }, 90_000);
});

