/**
 * The official `kaltura-client` (JSON bodies, `format: 1`, 0-based multirequest keys) against the
 * simulator: proves JSON request handling, not the project's own client.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { WEEK } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the official client ships no types
type Any = any;
const require = createRequire(import.meta.url);
const kaltura: Any = require('kaltura-client');

let sim: Simulator;
let client: Any;

function run<T>(builder: Any): Promise<T> {
  return builder.execute(client) as Promise<T>;
}

beforeAll(async () => {
  sim = await startSimulator();
  const config = new kaltura.Configuration();
  config.serviceUrl = sim.serviceUrl.replace(/\/api_v3$/, '');
  // Its default logger prints every request body, KS included: silence it.
  config.setLogger({ log: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined });
  client = new kaltura.Client(config);
});
afterAll(async () => {
  await sim.close();
});

function filter(entryIdIn: string): Any {
  return new kaltura.objects.EndUserReportInputFilter({ fromDate: WEEK.fromDate, toDate: WEEK.toDate, entryIdIn });
}

describe('official kaltura-client against the simulator', () => {
  it('session.start, then getTotal and a paged getTable', async () => {
    const ks = await run<string>(kaltura.services.session.start(sim.adminSecret, 'ops', kaltura.enums.SessionType.ADMIN, sim.partnerId));
    client.setKs(ks);
    const total = await run<{ header: string; data: string }>(kaltura.services.report.getTotal(1, filter('1_official')));
    const pager = new kaltura.objects.FilterPager({ pageSize: 2, pageIndex: 1 });
    const options = new kaltura.objects.ReportResponseOptions({ delimiter: '|' });
    const table = await run<{ header: string; data: string; totalCount: number }>(kaltura.services.report.getTable(1, filter('1_a|1_b|1_c'), pager, null, null, options));
    expect(ks.startsWith('djJ8')).toBe(true);
    expect(total.header.split(',')[0]).toBe('count_plays');
    expect(table.totalCount).toBe(3);
    expect(table.data.split(';').filter((r) => r !== '')).toHaveLength(2);
    expect(sim.requests.at(-1)?.params.reportType).toBe(1);
  });

  it('multirequest with 0-based JSON keys returns per-item results and errors', async () => {
    const builder = kaltura.services.report
      .getTotal(1, filter('1_mr'))
      .add(kaltura.services.report.getGraphs(1, filter('1_mr')))
      .add(kaltura.services.baseEntry.get('1_missing'));
    const results = await run<Array<Any>>(builder);
    expect(results[0].objectType).toBe('KalturaReportTotal');
    expect(results[1][0].objectType).toBe('KalturaReportGraph');
    expect(results[2]).toMatchObject({ code: 'ENTRY_ID_NOT_FOUND', objectType: 'KalturaAPIException' });
  });

  it('API errors reject with the KalturaAPIException object', async () => {
    const error = await run(kaltura.services.report.getTable(1, filter('1_x'), null)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MISSING_MANDATORY_PARAMETER', args: { PARAM_NAME: 'pager' } });
  });
});
