import { describe, expect, it } from 'vitest';
import { encodeCall, encodeMultirequest, flattenParams } from '../../shared/kaltura/form-encoding.js';

const decode = (body: string) => [...new URLSearchParams(body).entries()];

describe('form encoding (PHP bracket notation)', () => {
  it('nests objects with brackets and adds format=1', () => {
    // Prepare
    const params = { reportType: 1, reportInputFilter: { objectType: 'KalturaEndUserReportInputFilter', fromDate: 1700000000, entryIdIn: '1_a|1_b' } };
    // Act
    const pairs = decode(encodeCall(params));
    // Assess
    expect(pairs).toEqual([
      ['reportType', '1'],
      ['reportInputFilter[objectType]', 'KalturaEndUserReportInputFilter'],
      ['reportInputFilter[fromDate]', '1700000000'],
      ['reportInputFilter[entryIdIn]', '1_a|1_b'],
      ['format', '1'],
    ]);
  });

  it('writes booleans as 1/0, nulls as field__null, drops undefined, indexes arrays', () => {
    const pairs = flattenParams({ a: true, b: false, c: null, d: undefined, filter: { e: null }, list: [{ id: 'x' }, 'y'] });
    expect(pairs).toEqual([
      ['a', '1'],
      ['b', '0'],
      ['c__null', ''],
      ['filter[e__null]', ''],
      ['list[0][id]', 'x'],
      ['list[1]', 'y'],
    ]);
  });

  it('numbers multirequest items from 1 and puts ks and format at the top level', () => {
    const body = encodeMultirequest(
      [
        { service: 'report', action: 'getTotal', params: { reportType: 1 } },
        { service: 'report', action: 'getTable', params: { pager: { pageSize: 5 } } },
      ],
      { ks: 'KS' },
    );
    expect(decode(body)).toEqual([
      ['1:service', 'report'],
      ['1:action', 'getTotal'],
      ['1:reportType', '1'],
      ['2:service', 'report'],
      ['2:action', 'getTable'],
      ['2:pager[pageSize]', '5'],
      ['ks', 'KS'],
      ['format', '1'],
    ]);
  });

  it('percent-encodes characters that are special in forms', () => {
    const body = encodeCall({ params: 'a=b;c=d&e', name: 'Ünïcode x+y' });
    expect(new URLSearchParams(body).get('params')).toBe('a=b;c=d&e');
    expect(new URLSearchParams(body).get('name')).toBe('Ünïcode x+y');
  });
});
