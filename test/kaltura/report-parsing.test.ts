/**
 * Report strings exactly as WIRE_FACTS §1 records them (fixtures copied from the document).
 */
import { describe, expect, it } from 'vitest';
import { parseGraphs, parseTable, parseTablePage, parseTotal } from '../../shared/kaltura/report-parsing.js';
import { parseLiveAudience } from '../../shared/kaltura/live-reports.js';
import { parseHealthBeacons } from '../../shared/kaltura/beacons.js';
import { KalturaResponseError } from '../../shared/kaltura/errors.js';

describe('report.getTable parsing', () => {
  it('splits rows ending in ";" (the last one too) and keys cells by header name', () => {
    // Prepare: §1.2 example with D='|'
    const wire = { header: 'object_id|entry_name|count_plays|sum_time_viewed', data: '1_abc|My Video|150|3600;1_def|Other Video|75|1800;', totalCount: 2, objectType: 'KalturaReportTable' };
    // Act
    const table = parseTable(wire, '|');
    // Assess
    expect(table.header).toEqual(['object_id', 'entry_name', 'count_plays', 'sum_time_viewed']);
    expect(table.rows).toEqual([
      { object_id: '1_abc', entry_name: 'My Video', count_plays: '150', sum_time_viewed: '3600' },
      { object_id: '1_def', entry_name: 'Other Video', count_plays: '75', sum_time_viewed: '1800' },
    ]);
    expect(table.totalCount).toBe(2);
  });

  it('follows the header order of the answer, not an assumed column position', () => {
    const table = parseTable({ header: 'count_plays|object_id', data: '7|1_x;', totalCount: 1 }, '|');
    expect(table.rows[0]).toEqual({ object_id: '1_x', count_plays: '7' });
  });

  it('uses whatever delimiter was requested (default ",")', () => {
    const table = parseTable({ header: 'object_id,count_plays', data: '1_a,3;1_b,4;', totalCount: 2 }, ',');
    expect(table.rows.map((r) => r.count_plays)).toEqual(['3', '4']);
  });

  it('keeps cells the server sanitised (delimiter and ";" replaced by spaces)', () => {
    // "Tom; Jerry | Friends" was written as "Tom  Jerry   Friends"
    const table = parseTable({ header: 'object_id|entry_name', data: '1_a|Tom  Jerry   Friends;', totalCount: 1 }, '|');
    expect(table.rows[0]!.entry_name).toBe('Tom  Jerry   Friends');
  });

  it('keeps empty cells and pads short rows with empty strings', () => {
    const table = parseTable({ header: 'a|b|c', data: '1||3;4;', totalCount: 2 }, '|');
    expect(table.rows).toEqual([
      { a: '1', b: '', c: '3' },
      { a: '4', b: '', c: '' },
    ]);
  });

  it('reads the empty shape {"objectType":"KalturaReportTable"} as no header, no rows, totalCount 0', () => {
    const table = parseTable({ objectType: 'KalturaReportTable' }, '|');
    expect(table).toEqual({ header: [], rows: [], totalCount: 0 });
  });

  it('reads the empty shape with a header and data "" as no rows', () => {
    const table = parseTable({ header: 'a,b', data: '', totalCount: 0, objectType: 'KalturaReportTable' }, ',');
    expect(table).toEqual({ header: ['a', 'b'], rows: [], totalCount: 0 });
  });

  it('reads totalCount 0 with data (the §1.5 quirk) without losing rows', () => {
    const page = parseTablePage({ header: 'a', data: 'x;y;', totalCount: 0 }, '|', 3);
    expect(page).toEqual({ pageIndex: 3, header: ['a'], rows: [['x'], ['y']], totalCount: 0 });
  });

  it('rejects an answer that is not a table with a KalturaResponseError', () => {
    expect(() => parseTable({ header: 5 }, '|')).toThrow(KalturaResponseError);
  });
});

describe('report.getTotal parsing', () => {
  it('reads a single row without a trailing ";" keyed by header', () => {
    const total = parseTotal({ header: 'count_plays|sum_time_viewed|avg_time_viewed', data: '150|3600|24', objectType: 'KalturaReportTotal' }, '|');
    expect(total.values).toEqual({ count_plays: '150', sum_time_viewed: '3600', avg_time_viewed: '24' });
  });

  it('reads the empty shape ",,," (n-1 delimiters) as empty strings', () => {
    const total = parseTotal({ header: 'a,b,c,d', data: ',,,', objectType: 'KalturaReportTotal' }, ',');
    expect(total.values).toEqual({ a: '', b: '', c: '', d: '' });
  });

  it('reads the empty shape "|||" with the pipe delimiter', () => {
    const total = parseTotal({ header: 'a|b|c|d', data: '|||' }, '|');
    expect(total.values).toEqual({ a: '', b: '', c: '', d: '' });
  });

  it('reads an absent header as no values', () => {
    expect(parseTotal({ objectType: 'KalturaReportTotal' }, '|')).toEqual({ header: [], values: {} });
  });

  it('keeps an unsanitised value with the delimiter in the last column rather than shifting others', () => {
    const total = parseTotal({ header: 'count_plays|note', data: '5|a|b' }, '|');
    expect(total.values).toEqual({ count_plays: '5', note: 'a|b' });
  });
});

describe('report.getGraphs parsing', () => {
  it('reads day, hour, month, year and ISO labels as sent', () => {
    const graphs = parseGraphs(
      [
        { id: 'count_plays', data: '20250601|10;20250602|0;', objectType: 'KalturaReportGraph' },
        { id: 'hours', data: '2025060110|3;' },
        { id: 'months', data: '202506|7;' },
        { id: 'years', data: '2025|9;' },
        { id: 'minutes', data: '2025-06-01T10:00:10.000Z|4;' },
      ],
      '|',
    );
    expect(graphs.map((g) => g.points[0]!.label)).toEqual(['20250601', '2025060110', '202506', '2025', '2025-06-01T10:00:10.000Z']);
    expect(graphs[0]!.points).toEqual([
      { label: '20250601', value: '10' },
      { label: '20250602', value: '0' },
    ]);
  });

  it('reads by-name graphs (content_dropoff: metric|value;)', () => {
    const [graph] = parseGraphs([{ id: 'content_dropoff', data: 'count_plays|100;count_plays_25|80;count_plays_50|60;', objectType: 'KalturaReportGraph' }], '|');
    expect(graph).toEqual({ id: 'content_dropoff', points: [
      { label: 'count_plays', value: '100' },
      { label: 'count_plays_25', value: '80' },
      { label: 'count_plays_50', value: '60' },
    ] });
  });

  it('reads the empty shape (one graph per metric with data "") as graphs without points', () => {
    const graphs = parseGraphs([{ id: 'count_plays', data: '', objectType: 'KalturaReportGraph' }, { id: 'sum_time_viewed', data: '' }], '|');
    expect(graphs).toEqual([{ id: 'count_plays', points: [] }, { id: 'sum_time_viewed', points: [] }]);
  });
});

describe('liveReports.getEvents parsing', () => {
  it('reads "<unix>,<audience>,<dvr>;" points of the audience graph', () => {
    const points = parseLiveAudience([{ id: 'audience', data: '1718900000,12,3;1718900010,15,2;', objectType: 'KalturaReportGraph' }]);
    expect(points).toEqual([
      { time: 1718900000, audience: 12, dvrAudience: 3 },
      { time: 1718900010, audience: 15, dvrAudience: 2 },
    ]);
  });

  it('reads the legacy two-value form and the empty shape', () => {
    expect(parseLiveAudience([{ id: 'audience', data: '1718900000,12;' }])).toEqual([{ time: 1718900000, audience: 12, dvrAudience: 0 }]);
    expect(parseLiveAudience([{ id: 'audience', data: '' }])).toEqual([]);
  });
});

describe('beacon.list parsing', () => {
  it('reads maxSeverity from the privateData JSON string and the stream from the eventType prefix', () => {
    const wire = {
      objects: [
        { id: 'x', indexType: 'entry_beacon', updatedAt: 1718900000, relatedObjectType: '4', eventType: '0_healthData', objectId: '1_abc', privateData: '{"alerts":[{"Arguments":{"a":1},"Time":1718900000000,"Code":104}],"maxSeverity":4}', objectType: 'KalturaBeacon' },
        { id: 'y', updatedAt: '1718900005', relatedObjectType: 4, eventType: '1_healthData', objectId: '1_abc', privateData: '{"alerts":[],"maxSeverity":1}', objectType: 'KalturaBeacon' },
        { id: 'z', updatedAt: 1718900006, eventType: '0_healthData', objectId: '1_abc', privateData: 'not json', objectType: 'KalturaBeacon' },
      ],
      totalCount: 3,
      objectType: 'KalturaBeaconListResponse',
    };
    const beacons = parseHealthBeacons(wire);
    expect(beacons[0]).toEqual({ objectId: '1_abc', stream: 'primary', eventType: '0_healthData', updatedAt: 1718900000, maxSeverity: 4, alerts: [{ code: 104, time: 1718900000000, arguments: { a: 1 } }] });
    expect(beacons[1]).toMatchObject({ stream: 'backup', maxSeverity: 1, updatedAt: 1718900005 });
    expect(beacons[2]).toMatchObject({ maxSeverity: undefined, alerts: [] });
  });
});
