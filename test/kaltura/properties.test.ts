/**
 * Property-based checks:
 * - any table the server could write (cells with the delimiter and ';' sanitised to spaces, every
 *   row ending in ';', any delimiter) parses back to the same header-keyed rows;
 * - any nested parameter object survives our form encoding and a PHP-style bracket parser (the
 *   simulator's model of the API v3 front controller) with the same structure and string values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTable, parseTotal } from '../../shared/kaltura/report-parsing.js';
import { encodeCall, encodeMultirequest } from '../../shared/kaltura/form-encoding.js';
import { parseUrlEncoded } from '../../simulator/params.js';

/** KalturaReportTable::fromReportTable as WIRE_FACTS §1.2 describes it. */
function serverTable(header: string[], rows: string[][], d: string): { header: string; data: string; totalCount: number } {
  const clean = (v: string) => v.split(d).join(' ').split(';').join(' ');
  return { header: header.join(d), data: rows.map((r) => r.map(clean).join(d) + ';').join(''), totalCount: rows.length };
}

const delimiter = fc.constantFrom('|', ',', '\t', '~');
const headerName = fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/);

describe('report table round trip', () => {
  it('parses whatever the server writes, keyed by header name', () => {
    fc.assert(
      fc.property(
        delimiter,
        fc.uniqueArray(headerName, { minLength: 1, maxLength: 8 }),
        fc.array(fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { minLength: 8, maxLength: 8 }), { maxLength: 20 }),
        (d, header, rawRows) => {
          const rows = rawRows.map((r) => r.slice(0, header.length));
          const wire = serverTable(header, rows, d);
          const table = parseTable(wire, d);
          // A row whose cells are all empty in a one-column table is the empty string: the server's
          // own consumers (analytics-front-end) skip it too, so it cannot be told from no row.
          const expected = rows
            .filter((r) => !(header.length === 1 && r[0] === ''))
            .map((r) => Object.fromEntries(header.map((h, i) => [h, (r[i] ?? '').split(d).join(' ').split(';').join(' ')])));
          expect(table.header).toEqual(header);
          expect(table.rows).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('parses totals (no trailing ";") including the all-empty shape', () => {
    fc.assert(
      fc.property(delimiter, fc.uniqueArray(headerName, { minLength: 1, maxLength: 8 }), fc.boolean(), (d, header, empty) => {
        const values = header.map((_, i) => (empty ? '' : String(i * 7.5)));
        const total = parseTotal({ header: header.join(d), data: values.join(d) }, d);
        expect(total.values).toEqual(Object.fromEntries(header.map((h, i) => [h, values[i]])));
      }),
    );
  });
});

/** What PHP would hold: every leaf a string, objects nested by brackets, null -> key__null = ''. */
function phpView(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    value.forEach((v, i) => {
      const view = phpView(v);
      if (view !== undefined) out[String(i)] = view;
    });
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === null) out[`${k}__null`] = '';
    const view = phpView(v);
    if (view !== undefined && !(typeof view === 'object' && view !== null && Object.keys(view).length === 0)) out[k] = view;
  }
  return out;
}

const key = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,10}$/).filter((k) => !k.endsWith('__null') && k !== 'format');
const leaf = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null));
const params = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('object'), fc.array(fc.oneof(fc.string({ maxLength: 5 }), tie('object')), { minLength: 1, maxLength: 3 })),
  object: fc.dictionary(key, tie('value'), { minKeys: 1, maxKeys: 4 }),
})).object as fc.Arbitrary<Record<string, unknown>>;

describe('form encoding round trip through a PHP-style parser', () => {
  it('keeps structure and values of any nested parameters', () => {
    fc.assert(
      fc.property(params, (p) => {
        const parsed = parseUrlEncoded(encodeCall(p));
        expect(parsed).toEqual({ ...(phpView(p) as object), format: '1' });
      }),
      { numRuns: 300 },
    );
  });

  it('keeps multirequest items apart by their 1-based index', () => {
    fc.assert(
      fc.property(fc.array(params, { minLength: 1, maxLength: 4 }), (items) => {
        const parsed = parseUrlEncoded(encodeMultirequest(items.map((p) => ({ service: 'report', action: 'getTotal', params: p })), { ks: 'k' }));
        items.forEach((p, i) => {
          expect(parsed[String(i + 1)]).toEqual({ service: 'report', action: 'getTotal', ...(phpView(p) as object) });
        });
        expect(parsed['0']).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });
});
