import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { adminKs, callJson, formEncode, rawPost, WEEK } from './helpers.js';

let sim: Simulator;
let ks: string;
beforeAll(async () => {
  sim = await startSimulator();
  ks = await adminKs(sim);
});
afterAll(async () => {
  await sim.close();
});

const filter = { objectType: 'KalturaEndUserReportInputFilter', ...WEEK, entryIdIn: '1_mr' };

describe('multirequest', () => {
  it('form style "N:param", 1-based: [KalturaReportTotal, [KalturaReportGraph...], KalturaReportTable]', async () => {
    // Prepare
    const body = formEncode({ format: 1, ks, '1:service': 'report', '1:action': 'getTotal', '1:reportType': 1, '2:service': 'report', '2:action': 'getGraphs', '2:reportType': 1, '3:service': 'report', '3:action': 'getTable', '3:reportType': 1, '3:pager': { pageSize: 5 } })
      .split('&')
      .concat(Object.entries(filter).flatMap(([k, v]) => [1, 2, 3].map((n) => `${n}:reportInputFilter[${k}]=${encodeURIComponent(String(v))}`)))
      .join('&');
    // Act
    const r = await rawPost(`${sim.serviceUrl}/service/multirequest`, body, 'application/x-www-form-urlencoded');
    // Assess
    const results = r.json() as Array<{ objectType?: string } | Array<{ objectType: string }>>;
    expect(r.status).toBe(200);
    expect(results).toHaveLength(3);
    expect((results[0] as { objectType: string }).objectType).toBe('KalturaReportTotal');
    expect(Array.isArray(results[1])).toBe(true);
    expect((results[1] as Array<{ objectType: string }>)[0]?.objectType).toBe('KalturaReportGraph');
    expect((results[2] as { objectType: string }).objectType).toBe('KalturaReportTable');
  });

  it('JSON style with 0-based numeric keys (official client shape) and per-item errors', async () => {
    const r = await callJson(sim, '/service/multirequest', {
      format: 1,
      ks,
      0: { service: 'report', action: 'getTotal', reportType: 1, reportInputFilter: filter },
      1: { service: 'report', action: 'getTable', reportType: 1, reportInputFilter: filter },
      2: { service: 'report', action: 'getTable', reportType: 1, reportInputFilter: filter, pager: { pageSize: 3 } },
    });
    const results = r.json() as Array<Record<string, unknown>>;
    expect(results).toHaveLength(3);
    expect(results[0]?.objectType).toBe('KalturaReportTotal');
    expect(results[1]).toEqual({ code: 'MISSING_MANDATORY_PARAMETER', message: 'Missing parameter "pager"', objectType: 'KalturaAPIException', args: { PARAM_NAME: 'pager' } });
    expect(results[2]?.objectType).toBe('KalturaReportTable');
  });

  it('stops at the first gap in the numbering', async () => {
    const r = await callJson(sim, '/service/multirequest', {
      format: 1,
      ks,
      1: { service: 'baseentry', action: 'get', entryId: '1_a' },
      2: { service: 'baseentry', action: 'get', entryId: '1_b' },
      4: { service: 'baseentry', action: 'get', entryId: '1_d' },
    });
    expect((r.json() as Array<{ id: string }>).map((e) => e.id)).toEqual(['1_a', '1_b']);
  });

  it('resolves {K:result:path} references (K = 1-based execution ordinal); a failed reference becomes ""', async () => {
    const r = await callJson(sim, '/service/multirequest', {
      format: 1,
      ks,
      0: { service: 'baseentry', action: 'get', entryId: '1_ref' },
      1: { service: 'baseentry', action: 'get', entryId: '{1:result:id}_copy' },
      2: { service: 'baseentry', action: 'get', entryId: 'x_missing' },
      3: { service: 'baseentry', action: 'get', entryId: 'y{3:result:id}' },
    });
    const results = r.json() as Array<Record<string, unknown>>;
    expect(results[1]?.id).toBe('1_ref_copy');
    expect(results[2]).toMatchObject({ code: 'ENTRY_ID_NOT_FOUND', args: { ENTRY_ID: 'x_missing' } });
    expect(results[3]?.id).toBe('y');
  });

  it('copies the top-level ks into every item; an item may override it', async () => {
    const r = await callJson(sim, '/service/multirequest', {
      format: 1,
      ks,
      0: { service: 'baseentry', action: 'get', entryId: '1_a' },
      1: { service: 'baseentry', action: 'get', entryId: '1_b', ks: 'garbage' },
    });
    const results = r.json() as Array<Record<string, unknown>>;
    expect(results[0]?.id).toBe('1_a');
    expect(results[1]).toMatchObject({ code: 'INVALID_KS', args: { KSID: 'garbage' } });
  });

  it('without a KS every item is SERVICE_FORBIDDEN, still HTTP 200', async () => {
    const r = await callJson(sim, '/service/multirequest', { format: 1, 0: { service: 'report', action: 'getTotal', reportType: 1, reportInputFilter: filter } });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual([{ code: 'SERVICE_FORBIDDEN', message: 'The access to service [report->getTotal] is forbidden', objectType: 'KalturaAPIException', args: { SERVICE: 'report->getTotal' } }]);
  });

  it('an api-error fault matching one action fails only that item', async () => {
    sim.injectFault({ kind: 'api-error', code: 'DRUID_QUERY_TIMED_OUT', match: { service: 'report', action: 'getGraphs' } });
    const r = await callJson(sim, '/service/multirequest', {
      format: 1,
      ks,
      0: { service: 'report', action: 'getTotal', reportType: 1, reportInputFilter: filter },
      1: { service: 'report', action: 'getGraphs', reportType: 1, reportInputFilter: filter },
    });
    const results = r.json() as Array<Record<string, unknown>>;
    expect(results[0]?.objectType).toBe('KalturaReportTotal');
    expect(results[1]).toEqual({ code: 'DRUID_QUERY_TIMED_OUT', message: 'Druid query timed out', objectType: 'KalturaAPIException', args: [] });
  });
});
