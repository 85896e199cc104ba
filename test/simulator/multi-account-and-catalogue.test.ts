/**
 * The simulator's multi-account reports (seed §12.3, the generated KalturaReportType enum) and its
 * catalogue actions (eSearch searchEntry, baseEntry.list, user.list), in the wire shapes of
 * WIRE_FACTS §0.2/§0.3/§1 (objectType last, nulls dropped, list responses, errors with HTTP 200).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { childPartnerIds } from '../../simulator/reports.js';
import { DEFAULT_ENTRY_IDS } from '../../simulator/synthetic.js';
import { hasCaptions } from '../../simulator/directory-actions.js';
import { adminKs, callForm, reportParams, rowsOf } from './helpers.js';

let sim: Simulator;
let ks: string;
beforeAll(async () => {
  sim = await startSimulator();
  ks = await adminKs(sim);
});
afterAll(async () => {
  await sim.close();
});

type Table = { header?: string; data?: string; totalCount?: number; objectType: string };

const captionSearch = (operator: number, itemType: number | string = 4) => ({
  objectType: 'KalturaESearchEntryParams',
  searchOperator: { objectType: 'KalturaESearchEntryOperator', operator, searchItems: [{ objectType: 'KalturaESearchCaptionItem', fieldName: 'content', itemType }] },
});

describe('multi-account reports', () => {
  it('partner-level reports (60, 201) have one row per child partner, partner_id first', async () => {
    // Act
    const usage = (await callForm(sim, 'report', 'getTable', { ...reportParams(ks, { reportType: 201, responseOptions: { delimiter: '|' } }), pager: { pageSize: 50 } })).json() as Table;
    const engagement = (await callForm(sim, 'report', 'getTable', { ...reportParams(ks, { reportType: 60, responseOptions: { delimiter: '|' } }), pager: { pageSize: 50 } })).json() as Table;
    // Assess
    expect(usage.header).toBe('partner_id|bandwidth_consumption|average_storage|combined_bandwidth_storage');
    expect(engagement.header).toBe('partner_id|count_plays|sum_time_viewed|count_loads');
    const children = childPartnerIds(sim.partnerId).map(String);
    expect(rowsOf(usage.data ?? '', '|').map((r) => r[0]).sort()).toEqual(children);
    expect(usage.totalCount).toBe(3);
  });

  it('objectIds (split on the delimiter) narrows a partner-level report to those child partners', async () => {
    // Prepare
    const [first, , third] = childPartnerIds(sim.partnerId).map(String);
    // Act
    const table = (await callForm(sim, 'report', 'getTable', { ...reportParams(ks, { reportType: 201, objectIds: `${first}|${third}|999`, responseOptions: { delimiter: '|' } }), pager: { pageSize: 50 } })).json() as Table;
    // Assess
    expect(rowsOf(table.data ?? '', '|').map((r) => r[0]).sort()).toEqual([first, third]);
  });

  it('20000-range types mirror the report of the generated enum (20001 dropoff, 20005 platforms, 20011 unique users) with their own figures', async () => {
    // Act
    const dropoff = (await callForm(sim, 'report', 'getTable', { ...reportParams(ks, { reportType: 20001 }), pager: { pageSize: 5 } })).json() as Table;
    const base = (await callForm(sim, 'report', 'getTable', { ...reportParams(ks, { reportType: 2 }), pager: { pageSize: 5 } })).json() as Table;
    const platforms = (await callForm(sim, 'report', 'getTable', { ...reportParams(ks, { reportType: 20005 }), pager: { pageSize: 5 } })).json() as Table;
    const unique = (await callForm(sim, 'report', 'getTable', { ...reportParams(ks, { reportType: 20011 }), pager: { pageSize: 5 } })).json() as Table;
    // Assess
    expect(dropoff.header).toBe(base.header);
    expect(dropoff.data).not.toBe(base.data);
    expect(platforms.header?.split(',')[0]).toBe('device');
    expect(unique.header?.split(',')[0]).toBe('date_id');
  });

  it('report types outside the enum are still INVALID_ENUM_VALUE', async () => {
    const r = (await callForm(sim, 'report', 'getTable', { ...reportParams(ks, { reportType: 20099 }), pager: { pageSize: 5 } })).json() as { code: string };
    expect(r.code).toBe('INVALID_ENUM_VALUE');
  });
});

describe('elasticsearch_esearch.searchEntry', () => {
  it('NOT caption EXISTS finds exactly the entries without captions, as KalturaESearchEntryResponse', async () => {
    // Act
    const r = (await callForm(sim, 'elasticsearch_esearch', 'searchEntry', { ks, format: 1, searchParams: captionSearch(3), pager: { pageSize: 500, pageIndex: 1 } })).json() as {
      totalCount: number;
      objects: Array<{ object: { id: string; objectType: string }; itemsData: unknown[]; objectType: string }>;
      objectType: string;
    };
    // Assess
    expect(Object.keys(r)).toEqual(['totalCount', 'objects', 'objectType']);
    expect(r.objectType).toBe('KalturaESearchEntryResponse');
    const expected = DEFAULT_ENTRY_IDS.filter((id) => !hasCaptions(id));
    expect(r.totalCount).toBe(expected.length);
    expect(r.objects.map((o) => o.object.id).sort()).toEqual([...expected].sort());
    expect(Object.keys(r.objects[0]!)).toEqual(['object', 'itemsData', 'objectType']);
    expect(r.objects[0]!.object.objectType).toBe('KalturaMediaEntry');
  });

  it('AND caption EXISTS finds the captioned ones; the pager pages', async () => {
    const all = (await callForm(sim, 'elasticsearch_esearch', 'searchEntry', { ks, format: 1, searchParams: captionSearch(1), pager: { pageSize: 500 } })).json() as { totalCount: number };
    const page = (await callForm(sim, 'elasticsearch_esearch', 'searchEntry', { ks, format: 1, searchParams: captionSearch(1), pager: { pageSize: 5, pageIndex: 2 } })).json() as { totalCount: number; objects: unknown[] };
    expect(all.totalCount).toBe(DEFAULT_ENTRY_IDS.filter(hasCaptions).length);
    expect(page.totalCount).toBe(all.totalCount);
    expect(page.objects).toHaveLength(5);
  });

  it('an item type outside KalturaESearchItemType is INVALID_ENUM_VALUE (HTTP 200, KalturaAPIException)', async () => {
    const r = await callForm(sim, 'elasticsearch_esearch', 'searchEntry', { ks, format: 1, searchParams: captionSearch(1, 9) });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ code: 'INVALID_ENUM_VALUE', objectType: 'KalturaAPIException' });
  });

  it('without searchParams: MISSING_MANDATORY_PARAMETER', async () => {
    const r = (await callForm(sim, 'elasticsearch_esearch', 'searchEntry', { ks, format: 1 })).json() as { code: string };
    expect(r.code).toBe('MISSING_MANDATORY_PARAMETER');
  });
});

describe('user.list and baseEntry.list', () => {
  it('user.list idIn answers KalturaUser objects (firstName, lastName, email, company) as a list response', async () => {
    const r = (await callForm(sim, 'user', 'list', { ks, format: 1, filter: { objectType: 'KalturaUserFilter', idIn: 'ana@example.com,bob,missing-user' } })).json() as {
      objects: Array<Record<string, unknown>>;
      totalCount: number;
      objectType: string;
    };
    expect(Object.keys(r)).toEqual(['objects', 'totalCount', 'objectType']);
    expect(r.objectType).toBe('KalturaUserListResponse');
    expect(r.objects.map((u) => u.id)).toEqual(['ana@example.com', 'bob']);
    const user = r.objects[0]!;
    expect(Object.keys(user).at(-1)).toBe('objectType');
    expect(user).toMatchObject({ objectType: 'KalturaUser', email: 'ana@example.com' });
    for (const field of ['firstName', 'lastName', 'company', 'title']) expect(typeof user[field]).toBe('string');
  });

  it('baseEntry.list idIn answers the entries', async () => {
    const r = (await callForm(sim, 'baseEntry', 'list', { ks, format: 1, filter: { objectType: 'KalturaBaseEntryFilter', idIn: '1_a,1_b' } })).json() as { objects: Array<{ id: string; name: string }>; objectType: string };
    expect(r.objectType).toBe('KalturaBaseEntryListResponse');
    expect(r.objects.map((e) => e.id)).toEqual(['1_a', '1_b']);
    expect(r.objects[0]!.name).toContain('1_a');
  });
});
