import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { adminKs, callForm, reportParams } from './helpers.js';

let sim: Simulator;
let ks: string;
beforeAll(async () => {
  sim = await startSimulator({ bigRowCount: 20_000 });
  ks = await adminKs(sim);
});
afterAll(async () => {
  await sim.close();
});

async function csvUrl(extra: Record<string, unknown> = {}, filter: Record<string, unknown> = {}): Promise<{ url: string; raw: string }> {
  const r = await callForm(sim, 'report', 'getUrlForReportAsCsv', {
    ...reportParams(ks, { reportTitle: 'Top content', reportText: 'Weekly export', headers: 'Plays,Minutes;Entry,Name,Plays', ...extra }, filter),
  });
  return { url: r.json() as string, raw: r.text };
}

/** Raw GET keeping the BOM and reporting whether the body ended early. */
function download(url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: false }));
      res.on('aborted', () => undefined);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('report.getUrlForReportAsCsv', () => {
  it('returns a JSON string URL to report.serve on the simulator, with escaped slashes like PHP', async () => {
    const { url, raw } = await csvUrl({}, { entryIdIn: '1_csv' });
    expect(raw.startsWith('"http:\\/\\/127.0.0.1:')).toBe(true);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api_v3\/index\.php\/service\/report\/action\/serve\/ks\/djJ8[^/]+\/id\/[0-9a-f]{13}_\d{4}-\d{2}-[A-Z][a-z]{2}-(00|12)\/report\.csv$/);
  });

  it('the download has the myCsvReport layout: BOM, title, dates, total and table sections', async () => {
    const { url } = await csvUrl({}, { entryIdIn: '1_csv' });
    const r = await download(url);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv');
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    expect([...r.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = r.body.subarray(3).toString('utf8').split('\n');
    expect(lines.slice(0, 5)).toEqual(['"Top content"', '"Sunday, June 1, 2025","Saturday, June 7, 2025"', '"Weekly export"', '"# ------------------------------------"', '""']);
    const total = lines.indexOf('"# Total"');
    expect(lines[total + 2]).toBe('"Plays","Minutes"');
    expect(lines[total + 3]).toMatch(/^"\d+","[\d.]+"$/);
    const table = lines.findIndex((l) => l.startsWith('"# Table"'));
    expect(lines[table]).toBe('"# Table","","Total Count","1"');
    expect(lines[table + 2]).toBe('"Entry","Name","Plays"');
    expect(lines[table + 3]).toMatch(/^"1_csv","[^"]*(""[^"]*)*","\d+"$/);
  });

  it('headers without ";" produce no table section', async () => {
    const { url } = await csvUrl({ headers: 'Entry,Name,Plays,Minutes' }, { entryIdIn: '1_csv' });
    const text = (await download(url)).body.toString('utf8');
    expect(text).toContain('"# Total"');
    expect(text).not.toContain('"# Table"');
  });

  it('streams a big table with an exact Content-Length', async () => {
    const { url } = await csvUrl({}, { entryIdIn: '1_big' });
    const r = await download(url);
    expect(r.complete).toBe(true);
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    const rows = r.body.toString('utf8').split('\n').filter((l) => l.startsWith('"1_big_'));
    expect(rows).toHaveLength(20_000);
  });

  it('truncate-download: the body stops half way although Content-Length promised more', async () => {
    const { url } = await csvUrl({}, { entryIdIn: '1_csv' });
    sim.injectFault({ kind: 'truncate-download' });
    const r = await download(url);
    expect(r.complete).toBe(false);
    expect(r.body.length).toBeLessThan(Number(r.headers['content-length']));
    const again = await download(url);
    expect(again.complete).toBe(true);
  });

  it('truncate-download with chunked: no Content-Length, and the body ends without its last chunk', async () => {
    // Prepare
    const { url } = await csvUrl({}, { entryIdIn: '1_csv' });
    const whole = await download(url);
    sim.injectFault({ kind: 'truncate-download', chunked: true });
    // Act
    const cut = await download(url);
    // Assess
    expect(cut.headers['content-length']).toBeUndefined();
    expect(cut.headers['transfer-encoding']).toBe('chunked');
    expect(cut.complete).toBe(false);
    expect(cut.body.length).toBeLessThan(whole.body.length);
    expect(whole.body.subarray(0, cut.body.length).equals(cut.body)).toBe(true);
  });

  it('null-result: getUrlForReportAsCsv answers JSON null, as the server does when it swallows a report failure', async () => {
    // Prepare
    sim.injectFault({ kind: 'null-result', match: { action: 'getUrlForReportAsCsv' } });
    // Act
    const swallowed = await csvUrl({}, { entryIdIn: '1_csv' });
    const next = await csvUrl({}, { entryIdIn: '1_csv' });
    // Assess
    expect(swallowed.raw).toBe('null');
    expect(next.url).toMatch(/^http:\/\/.*\/report\.csv$/);
  });

  it('report.serve without the download KS ends with X-Kaltura error header and no body', async () => {
    const { url } = await csvUrl({}, { entryIdIn: '1_csv' });
    const noKs = url.replace(/\/ks\/[^/]+/, '');
    const r = await download(noKs);
    expect(r.status).toBe(200);
    expect(r.headers['x-kaltura']).toBe('error-ACCESS_CONTROL_RESTRICTED');
    expect(r.body.length).toBe(0);
  });

  it('the download KS dies with every other KS under "invalid-ks-after"', async () => {
    const { url } = await csvUrl({}, { entryIdIn: '1_csv' });
    sim.injectFault({ kind: 'invalid-ks-after', calls: 0 });
    const r = await download(url);
    sim.clearFaults();
    ks = await adminKs(sim);
    expect(r.headers['x-kaltura']).toBe('error-ACCESS_CONTROL_RESTRICTED');
    expect(r.body.length).toBe(0);
  });

  it('SEARCH_TOO_GENERAL when pageIndex*pageSize > 60000', async () => {
    const r = await callForm(sim, 'report', 'getUrlForReportAsCsv', { ...reportParams(ks, { reportTitle: 't', reportText: 't', headers: ';a', pager: { pageSize: 70000, pageIndex: 1 } }) });
    expect(r.json()).toMatchObject({ code: 'SEARCH_TOO_GENERAL', message: 'Unable to create report. Query produced too many results' });
  });

  it('formula guard: cells starting with - + = @ get a leading quote', async () => {
    const { url } = await csvUrl({ reportType: 36, headers: ';Code,Country,Coordinates' });
    const text = (await download(url)).body.toString('utf8');
    expect(text).toContain('"BR","Brazil","\'-10.0,-55.0"');
    expect(text).toContain('"KR","Korea, Republic of","37.0,127.5"');
  });
});

describe('report.getCsvFromStringParams', () => {
  it('returns raw CSV with a BOM, text/csv and a Content-Disposition file name, even with format=1', async () => {
    const r = await download(`${sim.serviceUrl}/service/report/action/getCsvFromStringParams?format=1&ks=${encodeURIComponent(ks)}&id=4021&params=${encodeURIComponent('from_date=20250601;to_date=20250607;entry_ids=1_a;virtualeventid=9')}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv');
    expect(r.headers['content-disposition']).toBe('attachment; filename="Report_4021_4242_from_date_20250601_to_date_20250607_entry_ids_1_a_virtualeventid_9.csv"');
    expect([...r.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = r.body.subarray(3).toString('utf8').split('\n');
    expect(lines[0]?.startsWith('email,combined_live_engaged_users_play_time_ratio,download_attachment')).toBe(true);
    expect(lines.filter((l) => l !== '').length).toBe(21);
  });

  it('replaces commas inside values by spaces and honours excludedFields', async () => {
    const r = await callForm(sim, 'report', 'getCsvFromStringParams', { ks, id: 3006, params: 'from_date_id=20250601;to_date_id=20250607', excludedFields: 'email,user_id' });
    const lines = r.text.replace(/^\uFEFF/, '').split('\n').filter((l) => l !== '');
    expect(lines[0]).toBe('entry_id,count_add_to_calendar_clicked,first_name,last_name,company');
    for (const l of lines) expect(l.split(',')).toHaveLength(5);
  });

  it('REPORT_NOT_FOUND (JSON error) for other ids', async () => {
    const r = await callForm(sim, 'report', 'getCsvFromStringParams', { ks, id: 1234, params: '' });
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.json()).toEqual({ code: 'REPORT_NOT_FOUND', message: 'Report id "1234" not found', objectType: 'KalturaAPIException', args: { ID: '1234' } });
  });

  it('a quiet entry gives a header-only file', async () => {
    const r = await callForm(sim, 'report', 'getCsvFromStringParams', { ks, id: 3007, params: 'entry_ids=0_quiet' });
    expect(r.text.replace(/^\uFEFF/, '').split('\n').filter((l) => l !== '')).toHaveLength(1);
  });
});
