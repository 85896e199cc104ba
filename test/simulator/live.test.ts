import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { adminKs, callForm } from './helpers.js';

let sim: Simulator;
let ks: string;
beforeAll(async () => {
  sim = await startSimulator();
  ks = await adminKs(sim);
});
afterAll(async () => {
  await sim.close();
});

type Beacon = { eventType: string; objectId: string; privateData: string; relatedObjectType: string; objectType: string; updatedAt: number };

async function beacons(filter: Record<string, unknown>): Promise<{ objects: Beacon[]; totalCount: number; objectType: string }> {
  return (await callForm(sim, 'beacon_beacon', 'list', { ks, filter: { objectType: 'KalturaBeaconFilter', ...filter } })).json() as { objects: Beacon[]; totalCount: number; objectType: string };
}

describe('beacon_beacon.list', () => {
  it('unhealthy entries: maxSeverity 4 on 0_healthData (primary), lower on the backup', async () => {
    const r = await beacons({ relatedObjectTypeIn: '4', objectIdIn: '1_unhealthy_live', indexTypeEqual: 'Log', eventTypeIn: '0_healthData,1_healthData' });
    expect(r.objectType).toBe('KalturaBeaconListResponse');
    const primary = r.objects.find((b) => b.eventType === '0_healthData');
    const backup = r.objects.find((b) => b.eventType === '1_healthData');
    expect(typeof primary?.privateData).toBe('string');
    const data = JSON.parse(primary?.privateData ?? '{}') as { maxSeverity: number; alerts: Array<{ Code: number; Time: number }> };
    expect(data.maxSeverity).toBe(4);
    expect(data.alerts.length).toBeGreaterThan(0);
    expect((JSON.parse(backup?.privateData ?? '{}') as { maxSeverity: number }).maxSeverity).toBeLessThanOrEqual(1);
    expect(primary?.objectType).toBe('KalturaBeacon');
    expect(primary?.relatedObjectType).toBe('4');
  });

  it('healthy entries have maxSeverity 0 or 1', async () => {
    const r = await beacons({ relatedObjectTypeEqual: '4', objectIdIn: '1_live_ok', indexTypeEqual: 'Log' });
    expect(r.totalCount).toBe(2);
    for (const b of r.objects) expect((JSON.parse(b.privateData) as { maxSeverity: number }).maxSeverity).toBeLessThanOrEqual(1);
  });

  it('relatedObjectType is required: the literal "MISSING MANDATORY PARAMETER RELATED OBJECT TYPE"', async () => {
    const r = await callForm(sim, 'beacon_beacon', 'list', { ks, filter: { objectType: 'KalturaBeaconFilter', objectIdIn: '1_x' } });
    expect(r.json()).toMatchObject({ code: 'MISSING MANDATORY PARAMETER RELATED OBJECT TYPE', objectType: 'KalturaAPIException', args: [] });
  });

  it('indexTypeEqual is case-sensitive (Log/State)', async () => {
    const r = await callForm(sim, 'beacon_beacon', 'list', { ks, filter: { relatedObjectTypeIn: '4', objectIdIn: '1_x', indexTypeEqual: 'log' } });
    expect(r.json()).toMatchObject({ code: 'INVALID_ENUM_VALUE', args: { ENUM_VAL: 'log', ENUM_TYPE: 'KalturaBeaconIndexType' } });
    const state = await beacons({ relatedObjectTypeIn: '4', objectIdIn: '1_x', indexTypeEqual: 'State' });
    expect(state.objects.map((b) => b.eventType).sort()).toEqual(['0_dynamicData', '0_staticData', '1_dynamicData', '1_staticData']);
  });
});

describe('livereports.getEvents', () => {
  it('ENTRY_TIME_LINE: one "audience" graph of "ts,audience,dvr;" 10-second points', async () => {
    const to = 1_750_000_000;
    const r = await callForm(sim, 'livereports', 'getEvents', { ks, reportType: 'ENTRY_TIME_LINE', filter: { objectType: 'KalturaLiveReportInputFilter', entryIds: '1_live', fromTime: to - 90, toTime: to } });
    const graphs = r.json() as Array<{ id: string; data: string; objectType: string }>;
    expect(graphs).toHaveLength(1);
    expect(graphs[0]?.id).toBe('audience');
    expect(graphs[0]?.objectType).toBe('KalturaReportGraph');
    const points = (graphs[0]?.data ?? '').split(';').filter((p) => p !== '');
    expect(points.length).toBeGreaterThan(5);
    for (const p of points) {
      expect(p).toMatch(/^\d+,\d+,\d+$/);
      expect(Number(p.split(',')[0]) % 10).toBe(0);
    }
  });

  it('quiet entries have data ""', async () => {
    const r = await callForm(sim, 'livereports', 'getEvents', { ks, reportType: 'ENTRY_TIME_LINE', filter: { entryIds: '1_quiet_live', fromTime: 1_750_000_000 - 90, toTime: 1_750_000_000 } });
    expect(r.json()).toEqual([{ id: 'audience', data: '', objectType: 'KalturaReportGraph' }]);
  });

  it('other live report types are unsupported; unknown ones are invalid', async () => {
    const unsupported = await callForm(sim, 'livereports', 'getEvents', { ks, reportType: 'PARTNER_TOTAL' });
    const invalid = await callForm(sim, 'livereports', 'getEvents', { ks, reportType: 'entry_time_line' });
    expect((unsupported.json() as { code: string }).code).toBe('ANALYTICS_UNSUPPORTED_QUERY');
    expect((invalid.json() as { code: string }).code).toBe('INVALID_ENUM_VALUE');
  });
});

describe('baseentry.get', () => {
  it('returns a synthetic entry with name, status and partnerId, objectType last', async () => {
    const r = await callForm(sim, 'baseentry', 'get', { ks, entryId: '1_entry' });
    const entry = r.json() as Record<string, unknown>;
    expect(entry).toMatchObject({ id: '1_entry', status: 2, partnerId: sim.partnerId, objectType: 'KalturaMediaEntry' });
    expect(typeof entry.name).toBe('string');
    expect(Object.keys(entry).at(-1)).toBe('objectType');
    const again = (await callForm(sim, 'baseentry', 'get', { ks, entryId: '1_entry' })).json() as Record<string, unknown>;
    expect(again.name).toBe(entry.name);
  });

  it('ENTRY_ID_NOT_FOUND for ids containing "missing"', async () => {
    const r = await callForm(sim, 'baseentry', 'get', { ks, entryId: '1_missing' });
    expect(r.json()).toEqual({ code: 'ENTRY_ID_NOT_FOUND', message: 'Entry id "1_missing" not found', objectType: 'KalturaAPIException', args: { ENTRY_ID: '1_missing' } });
  });
});
