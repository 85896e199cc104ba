/**
 * Fidelity against the official `kaltura-client` npm package (21.x): both clients talk to the same
 * simulator for session.start, report.getTotal/getTable/getGraphs and a multirequest; the official
 * client's raw answers, parsed with our parser, must equal our client's answers.
 *
 * Where the two ENCODE a call differently, this test states it, asserting on the simulator's log:
 * - the official client POSTs JSON (numbers stay numbers) with `kalsig`, `apiVersion`, `clientTag`;
 *   ours POSTs a PHP-bracket form (every value a string) with none of those;
 * - the official multirequest numbers its items from 0 (`"0": {...}`); ours from 1 (`1:service=…`).
 *   The server accepts both (WIRE_FACTS §0.5: the start index is min(1, smallest)).
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { createKalturaClient, type KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { parseGraphs, parseTable, parseTotal } from '../../shared/kaltura/report-parsing.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the official client ships no types
const kaltura = require('kaltura-client') as any;

const WINDOW = { fromDate: 1748736000, toDate: 1751327999, timeZoneOffset: 0, interval: 'days' as const };

let sim: Simulator;
let ours: KalturaClient;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let official: any;

function officialFilter(extra: Record<string, unknown> = {}): unknown {
  return new kaltura.objects.EndUserReportInputFilter({ ...WINDOW, ...extra });
}
const pipe = () => new kaltura.objects.ReportResponseOptions({ delimiter: '|' });

beforeAll(async () => {
  sim = await startSimulator({});
  ours = createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5 });
  const config = new kaltura.Configuration();
  config.serviceUrl = new URL(sim.serviceUrl).origin; // the official client appends /api_v3/service
  config.setLogger({}); // not an ILogger: silences it (it would print every body, KS included)
  official = new kaltura.Client(config);
  const ks: string = await kaltura.services.session.start(sim.adminSecret, null, kaltura.enums.SessionType.ADMIN, sim.partnerId).execute(official);
  official.setKs(ks);
});
afterAll(async () => {
  await ours.close();
  await sim.close();
});
beforeEach(() => sim.clearRequests());

describe('official client fidelity', () => {
  it('session.start: both get a working ADMIN KS; the official client sends JSON, ours a form', async () => {
    // Act
    const officialKs: string = await kaltura.services.session.start(sim.adminSecret, null, kaltura.enums.SessionType.ADMIN, sim.partnerId).execute(official);
    await ours.getTotal({ reportType: 1, filter: WINDOW }); // starts our session
    // Assess
    expect(officialKs).toMatch(/^djJ8/);
    const starts = sim.requests.filter((r) => r.service === 'session' && r.action === 'start');
    expect(starts).toHaveLength(2);
    const [theirs, mine] = starts;
    // Difference stated: JSON keeps numbers and adds kalsig/apiVersion/clientTag; our form sends strings only.
    expect(theirs!.params.type).toBe(2);
    expect(Object.keys(theirs!.params)).toEqual(expect.arrayContaining(['kalsig', 'apiVersion', 'clientTag']));
    expect(mine!.params.type).toBe('2');
    expect(Object.keys(mine!.params)).not.toContain('kalsig');
  });

  it('report.getTotal: same parsed answer', async () => {
    const raw = await kaltura.services.report.getTotal(1, officialFilter({ entryIdIn: '1_demo' }), null, pipe()).execute(official);
    const mine = await ours.getTotal({ reportType: 1, filter: { ...WINDOW, entryIdIn: ['1_demo'] } });
    expect(parseTotal(raw, '|')).toEqual(mine);
    expect(Number(mine.values.count_plays)).toBeGreaterThan(0);
  });

  it('report.getTable: same parsed answer, including the empty shape', async () => {
    const pager = new kaltura.objects.FilterPager({ pageSize: 25, pageIndex: 2 });
    const raw = await kaltura.services.report.getTable(1, officialFilter(), pager, null, null, pipe()).execute(official);
    const mine = await ours.getTable({ reportType: 1, filter: WINDOW, pageSize: 25, pageIndex: 2 });
    expect(parseTable(raw, '|')).toEqual(mine);
    expect(mine.rows.length).toBeGreaterThan(0);

    const rawQuiet = await kaltura.services.report.getTable(1, officialFilter({ entryIdIn: '1_quiet' }), new kaltura.objects.FilterPager({ pageSize: 25, pageIndex: 1 }), null, null, pipe()).execute(official);
    const quiet = await ours.getTable({ reportType: 1, filter: { ...WINDOW, entryIdIn: ['1_quiet'] }, pageSize: 25, pageIndex: 1 });
    expect(parseTable(rawQuiet, '|')).toEqual(quiet);
    expect(quiet.rows).toEqual([]);
  });

  it('report.getGraphs: same parsed answer', async () => {
    const raw = await kaltura.services.report.getGraphs(1, officialFilter({ entryIdIn: '1_demo' }), null, null, pipe()).execute(official);
    const mine = await ours.getGraphs({ reportType: 1, filter: { ...WINDOW, entryIdIn: ['1_demo'] } });
    expect(parseGraphs(raw, '|')).toEqual(mine);
    expect(mine.length).toBeGreaterThan(0);
  });

  it('multirequest: same per-item answers; official numbers items from 0, ours from 1', async () => {
    // Act
    const raw: unknown[] = await kaltura.services.report
      .getTotal(1, officialFilter({ entryIdIn: '1_demo' }), null, pipe())
      .add(kaltura.services.report.getGraphs(1, officialFilter({ entryIdIn: '1_demo' }), null, null, pipe()))
      .add(kaltura.services.report.getTable(1, officialFilter({ entryIdIn: '1_demo' }), new kaltura.objects.FilterPager({ pageSize: 500, pageIndex: 1 }), null, null, pipe()))
      .execute(official);
    const bundle = await ours.getReportBundle({ reportType: 1, filter: { ...WINDOW, entryIdIn: ['1_demo'] }, pageSize: 500 });
    // Assess: answers
    expect(bundle.total).toEqual({ ok: true, value: parseTotal(raw[0], '|') });
    expect(bundle.graphs).toEqual({ ok: true, value: parseGraphs(raw[1], '|') });
    expect(bundle.table).toEqual({ ok: true, value: parseTable(raw[2], '|') });
    // Assess: encodings (difference stated)
    const multis = sim.requests.filter((r) => r.service === 'multirequest');
    expect(multis).toHaveLength(2);
    const [theirs, mine] = multis;
    expect(Object.keys(theirs!.params)).toEqual(expect.arrayContaining(['0', '1', '2']));
    expect(Object.keys(theirs!.params)).not.toContain('3');
    expect(Object.keys(mine!.params)).toEqual(expect.arrayContaining(['1', '2', '3']));
    expect(Object.keys(mine!.params)).not.toContain('0');
  });

  it('per-item errors: both see the same error code for a failing item', async () => {
    const raw: unknown[] = await kaltura.services.report
      .getTotal(1, officialFilter(), null, pipe())
      .add(kaltura.services.report.getTotal('NO_SUCH_TYPE', officialFilter(), null, pipe()))
      .execute(official);
    const mine = await ours.multirequest([
      { service: 'report', action: 'getTotal', params: { reportType: 1, reportInputFilter: { objectType: 'KalturaEndUserReportInputFilter', ...WINDOW }, responseOptions: { objectType: 'KalturaReportResponseOptions', delimiter: '|' } } },
      { service: 'report', action: 'getTotal', params: { reportType: 'NO_SUCH_TYPE', reportInputFilter: { objectType: 'KalturaEndUserReportInputFilter', ...WINDOW } } },
    ]);
    expect(mine[0]).toEqual({ ok: true, value: raw[0] });
    expect(mine[1]!.ok).toBe(false);
    expect((raw[1] as { code: string }).code).toBe(!mine[1]!.ok ? (mine[1]!.error as { code?: string }).code : 'none');
  });
});
