import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { adminKs, callForm, callJson, rawPost, reportParams, rowsOf, WEEK } from './helpers.js';

let sim: Simulator;
let ks: string;
beforeAll(async () => {
  sim = await startSimulator({ bigRowCount: 25_000 });
  ks = await adminKs(sim);
});
afterAll(async () => {
  await sim.close();
});

type Table = { header?: string; data?: string; totalCount?: number; objectType: string };
type Total = { header: string; data: string; objectType: string };
type Graph = { id: string; data: string; objectType: string };

describe('report.getTable', () => {
  it('TOP_CONTENT: realistic headers, every row ends with ";", the requested delimiter, totalCount', async () => {
    const r = await callForm(sim, 'report', 'getTable', { ...reportParams(ks, { responseOptions: { objectType: 'KalturaReportResponseOptions', delimiter: '|' } }), pager: { pageSize: 5, pageIndex: 1 } });
    const table = r.json() as Table;
    expect(Object.keys(table)).toEqual(['header', 'data', 'totalCount', 'objectType']);
    expect(table.header).toBe('object_id|entry_name|count_plays|sum_time_viewed|avg_time_viewed|count_loads|load_play_ratio|avg_view_drop_off');
    expect(table.data?.endsWith(';')).toBe(true);
    const rows = rowsOf(table.data ?? '', '|');
    expect(rows).toHaveLength(5);
    for (const row of rows) expect(row).toHaveLength(8);
    expect(table.totalCount).toBeGreaterThanOrEqual(24);
  });

  it('replaces the delimiter and ";" inside cells by a space (no quoting)', async () => {
    const comma = (await callForm(sim, 'report', 'getTable', { ...reportParams(ks), pager: { pageSize: 100 } })).json() as Table;
    const pipe = (await callForm(sim, 'report', 'getTable', { ...reportParams(ks, { responseOptions: { delimiter: '|' } }), pager: { pageSize: 100 } })).json() as Table;
    const commaRows = rowsOf(comma.data ?? '', ',');
    const pipeRows = rowsOf(pipe.data ?? '', '|');
    for (const row of commaRows) expect(row).toHaveLength(8);
    for (const row of pipeRows) expect(row).toHaveLength(8);
    // The same synthetic entries, so names with commas appear as spaces in one and as commas in the other.
    expect(pipeRows.some((r) => (r[1] ?? '').includes(','))).toBe(true);
    expect(commaRows.every((r) => !(r[1] ?? '').includes(';'))).toBe(true);
    // Non-ASCII survives (JSON \u escapes, as PHP json_encode writes them).
    expect(pipe.data).toMatch(/[^\x00-\x7f]/);
  });

  it('splits entryIdIn on the delimiter and returns one row per entry', async () => {
    const r = await callForm(sim, 'report', 'getTable', { ...reportParams(ks, { responseOptions: { delimiter: '|' } }, { entryIdIn: '1_aaa|1_bbb' }), pager: { pageSize: 10 } });
    const rows = rowsOf((r.json() as Table).data ?? '', '|');
    expect(rows.map((row) => row[0]).sort()).toEqual(['1_aaa', '1_bbb']);
  });

  it('orders by count_plays descending by default and follows `order`', async () => {
    const plays = async (order?: string) => {
      const r = await callForm(sim, 'report', 'getTable', { ...reportParams(ks, order ? { order } : {}), pager: { pageSize: 100 } });
      return rowsOf((r.json() as Table).data ?? '', ',').map((row) => Number(row[row.length - 6]));
    };
    const byDefault = await plays();
    const ascending = await plays('+count_plays');
    expect(byDefault).toEqual([...byDefault].sort((a, b) => b - a));
    expect(ascending).toEqual([...byDefault].reverse());
  });

  it('is deterministic per (entry, report, window) and changes with the window', async () => {
    const params = { ...reportParams(ks, {}, { entryIdIn: '1_det' }), pager: { pageSize: 10 } };
    const a = (await callForm(sim, 'report', 'getTable', params)).json() as Table;
    const b = (await callForm(sim, 'report', 'getTable', params)).json() as Table;
    const other = (await callForm(sim, 'report', 'getTable', { ...reportParams(ks, {}, { entryIdIn: '1_det', fromDate: WEEK.fromDate - 86400 * 7 }), pager: { pageSize: 10 } })).json() as Table;
    expect(a.data).toBe(b.data);
    expect(other.data).not.toBe(a.data);
  });

  it('report 38 carries the creator dimensions before its metrics', async () => {
    const r = await callForm(sim, 'report', 'getTable', { ...reportParams(ks, { reportType: 38 }), pager: { pageSize: 1 } });
    expect((r.json() as Table).header?.startsWith('object_id,entry_name,creator_name,created_at,status,media_type,duration_msecs,entry_source,count_plays')).toBe(true);
  });

  it('quiet entries: the bare empty shape {"objectType":"KalturaReportTable"}', async () => {
    const r = await callForm(sim, 'report', 'getTable', { ...reportParams(ks, {}, { entryIdIn: '0_quiet1' }), pager: { pageSize: 10 } });
    expect(r.text).toBe('{"objectType":"KalturaReportTable"}');
  });

  it('quiet scope on a user report: the header-only empty shape', async () => {
    const r = await callForm(sim, 'report', 'getTable', { ...reportParams(ks, { reportType: 13 }, { entryIdIn: '0_quiet1' }), pager: { pageSize: 10 } });
    expect(r.json()).toEqual({ header: 'name,full_name,count_plays,sum_time_viewed,avg_time_viewed,avg_view_drop_off,count_loads,load_play_ratio', data: '', totalCount: 0, objectType: 'KalturaReportTable' });
  });

  it('a page past the end is the bare empty shape', async () => {
    const r = await callForm(sim, 'report', 'getTable', { ...reportParams(ks, {}, { entryIdIn: '1_one' }), pager: { pageSize: 10, pageIndex: 3 } });
    expect(r.text).toBe('{"objectType":"KalturaReportTable"}');
  });

  it('MISSING_MANDATORY_PARAMETER without pager', async () => {
    const r = await callForm(sim, 'report', 'getTable', reportParams(ks));
    expect(r.json()).toEqual({ code: 'MISSING_MANDATORY_PARAMETER', message: 'Missing parameter "pager"', objectType: 'KalturaAPIException', args: { PARAM_NAME: 'pager' } });
  });

  it('big entries page through bigRowCount rows; page 1 clamps to 12000, later pages past 12000 fail', async () => {
    const base = reportParams(ks, {}, { entryIdIn: '1_big_one' });
    const first = (await callForm(sim, 'report', 'getTable', { ...base, pager: { pageSize: 50000, pageIndex: 1 } })).json() as Table;
    expect(first.totalCount).toBe(25_000);
    expect(rowsOf(first.data ?? '', ',')).toHaveLength(12000);
    const third = (await callForm(sim, 'report', 'getTable', { ...base, pager: { pageSize: 10000, pageIndex: 2 } })).json();
    expect(third).toEqual({ code: 'INTERNAL_SERVERL_ERROR', message: 'Internal server error occurred', objectType: 'KalturaAPIException', args: [] });
    const small = (await callForm(sim, 'report', 'getTable', { ...base, pager: { pageSize: 500, pageIndex: 24 } })).json() as Table;
    expect(rowsOf(small.data ?? '', ',')).toHaveLength(500);
  });

  it('pageSize <= 0 becomes 10', async () => {
    const r = (await callForm(sim, 'report', 'getTable', { ...reportParams(ks), pager: { pageSize: 0 } })).json() as Table;
    expect(rowsOf(r.data ?? '', ',')).toHaveLength(10);
  });

  it('INVALID_ENUM_VALUE for an unknown report type', async () => {
    const r = await callForm(sim, 'report', 'getTable', { ...reportParams(ks, { reportType: 99999 }), pager: { pageSize: 1 } });
    expect(r.json()).toMatchObject({ code: 'INVALID_ENUM_VALUE', args: { ENUM_VAL: '99999', PARAM_NAME: 'reportType', ENUM_TYPE: 'KalturaReportType' } });
  });
});

describe('report.getTotal', () => {
  it('one row, no trailing ";", header of metric names', async () => {
    const total = (await callForm(sim, 'report', 'getTotal', reportParams(ks, {}, { entryIdIn: '1_x' }))).json() as Total;
    expect(Object.keys(total)).toEqual(['header', 'data', 'objectType']);
    expect(total.header).toBe('count_plays,sum_time_viewed,avg_time_viewed,count_loads,load_play_ratio,avg_view_drop_off');
    expect(total.data.endsWith(';')).toBe(false);
    expect(total.data.split(',')).toHaveLength(6);
    expect(Number(total.data.split(',')[0])).toBeGreaterThan(0);
  });

  it('the total of one entry equals its table row', async () => {
    const total = (await callForm(sim, 'report', 'getTotal', reportParams(ks, {}, { entryIdIn: '1_x' }))).json() as Total;
    const table = (await callForm(sim, 'report', 'getTable', { ...reportParams(ks, {}, { entryIdIn: '1_x' }), pager: { pageSize: 5 } })).json() as Table;
    expect(total.data.split(',')[0]).toBe(rowsOf(table.data ?? '', ',')[0]?.[2]);
  });

  it('quiet: empty values joined by the delimiter; zeros with skipEmptyDates=false', async () => {
    const empty = (await callForm(sim, 'report', 'getTotal', reportParams(ks, { responseOptions: { delimiter: '|' } }, { entryIdIn: '1_quiet' }))).json() as Total;
    const zeros = (await callForm(sim, 'report', 'getTotal', reportParams(ks, { responseOptions: { skipEmptyDates: false } }, { entryIdIn: '1_quiet' }))).json() as Total;
    expect(empty.data).toBe('|||||');
    expect(zeros.data).toBe('0,0,0,0,0,0');
  });
});

describe('report.getGraphs', () => {
  it('one graph per metric, day labels YYYYMMDD, points "label,value;"', async () => {
    const graphs = (await callForm(sim, 'report', 'getGraphs', reportParams(ks, { responseOptions: { skipEmptyDates: false } }, { interval: 'days' }))).json() as Graph[];
    expect(graphs.map((g) => g.id)).toEqual(['count_plays', 'sum_time_viewed', 'avg_time_viewed', 'count_loads', 'load_play_ratio', 'avg_view_drop_off']);
    const points = (graphs[0]?.data ?? '').split(';').filter((p) => p !== '');
    expect(graphs[0]?.data.endsWith(';')).toBe(true);
    expect(points.map((p) => p.split(',')[0])).toEqual(['20250601', '20250602', '20250603', '20250604', '20250605', '20250606', '20250607']);
  });

  it('hours give YYYYMMDDHH, months YYYYMM, ten_seconds raw ISO timestamps', async () => {
    const hours = (await callForm(sim, 'report', 'getGraphs', reportParams(ks, { responseOptions: { skipEmptyDates: false } }, { interval: 'hours', toDate: WEEK.fromDate + 7199 }))).json() as Graph[];
    expect(hours[0]?.data).toMatch(/^2025060100,\d+;2025060101,\d+;$/);
    const months = (await callForm(sim, 'report', 'getGraphs', reportParams(ks, { responseOptions: { skipEmptyDates: false } }, { interval: 'months', toDate: WEEK.fromDate + 40 * 86400 }))).json() as Graph[];
    expect(months[0]?.data).toMatch(/^202506,\d+;202507,\d+;$/);
    const ten = (await callForm(sim, 'report', 'getGraphs', reportParams(ks, { responseOptions: { skipEmptyDates: false } }, { interval: 'ten_seconds', toDate: WEEK.fromDate + 19 }))).json() as Graph[];
    expect(ten[0]?.data).toMatch(/^2025-06-01T00:00:00\.000Z,\d+;2025-06-01T00:00:10\.000Z,\d+;$/);
  });

  it('a timeZoneOffset shifts day labels into local time', async () => {
    // New York summer: UTC-4 = offset 240; 2025-06-01 00:00 UTC is May 31 local.
    const graphs = (await callForm(sim, 'report', 'getGraphs', reportParams(ks, { responseOptions: { skipEmptyDates: false } }, { timeZoneOffset: 240 }))).json() as Graph[];
    expect(graphs[0]?.data.startsWith('20250531,')).toBe(true);
  });

  it('INVALID_ENUM_VALUE for interval=tenSeconds (the TS member name, not the value)', async () => {
    const r = await callForm(sim, 'report', 'getGraphs', reportParams(ks, {}, { interval: 'tenSeconds' }));
    expect(r.json()).toEqual({
      code: 'INVALID_ENUM_VALUE',
      message: 'Invalid enumeration value "tenSeconds" for parameter "interval", expecting enumeration type "KalturaReportInterval"',
      objectType: 'KalturaAPIException',
      args: { ENUM_VAL: 'tenSeconds', PARAM_NAME: 'interval', ENUM_TYPE: 'KalturaReportInterval' },
    });
  });

  it('quiet: every graph has data ""; by-name graph (report 2) has zero values', async () => {
    const graphs = (await callForm(sim, 'report', 'getGraphs', reportParams(ks, {}, { entryIdIn: 'x_quiet' }))).json() as Graph[];
    expect(graphs.every((g) => g.data === '')).toBe(true);
    const dropoff = (await callForm(sim, 'report', 'getGraphs', reportParams(ks, { reportType: 2, responseOptions: { delimiter: '|' } }, { entryIdIn: 'x_quiet' }))).json() as Graph[];
    expect(dropoff).toEqual([{ id: 'content_dropoff', data: 'count_plays|0;count_plays_25|0;count_plays_50|0;count_plays_75|0;count_plays_100|0;play_through_ratio|0;', objectType: 'KalturaReportGraph' }]);
  });
});

describe('request encodings', () => {
  it('JSON bodies with Content-Type exactly application/json (numbers and nested objects)', async () => {
    const r = await callJson(sim, '/service/report/action/getTotal', { ks, format: 1, reportType: 1, reportInputFilter: { objectType: 'KalturaEndUserReportInputFilter', ...WEEK, entryIdIn: '1_x' } });
    expect((r.json() as Total).objectType).toBe('KalturaReportTotal');
  });

  it('ignores a JSON body sent as "application/json; charset=utf-8" (PHP falls back to empty $_POST)', async () => {
    const r = await callJson(sim, '/service/report/action/getTotal', { ks, format: 1, reportType: 1 }, 'application/json; charset=utf-8');
    // No format either: the answer is the XML default, and without a KS the action is forbidden.
    expect(r.headers.get('content-type')).toBe('text/xml');
    expect(r.text).toContain('<code>SERVICE_FORBIDDEN</code>');
  });

  it('accepts the legacy "a:b=c" form keys', async () => {
    const body = `format=1&ks=${encodeURIComponent(ks)}&reportType=1&reportInputFilter:objectType=KalturaEndUserReportInputFilter&reportInputFilter:fromDate=${WEEK.fromDate}&reportInputFilter:toDate=${WEEK.toDate}&reportInputFilter:entryIdIn=1_x`;
    const r = await rawPost(`${sim.serviceUrl}/service/report/action/getTotal`, body, 'application/x-www-form-urlencoded');
    expect((r.json() as Total).objectType).toBe('KalturaReportTotal');
  });

  it('URL query parameters override body parameters', async () => {
    const body = `format=1&ks=${encodeURIComponent(ks)}&reportType=99999&reportInputFilter[fromDate]=${WEEK.fromDate}&reportInputFilter[toDate]=${WEEK.toDate}`;
    const r = await rawPost(`${sim.serviceUrl}/service/report/action/getTotal?reportType=1`, body, 'application/x-www-form-urlencoded');
    expect((r.json() as Total).objectType).toBe('KalturaReportTotal');
  });

  it('answers XML when format is absent (the server default)', async () => {
    const r = await callForm(sim, 'report', 'getTotal', { ...reportParams(ks, {}, { entryIdIn: '1_x' }), format: undefined });
    expect(r.headers.get('content-type')).toBe('text/xml');
    expect(r.text).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?><xml><result><objectType>KalturaReportTotal<\/objectType><header>count_plays,/);
  });
});
