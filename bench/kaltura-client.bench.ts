/**
 * Our Kaltura client versus the official `kaltura-client` (21.x) for a 12,000-row report.getTable,
 * same process, interleaved rounds. The answers are recorded once from the simulator and replayed
 * by a bare node:http server, so the figures are the clients' own cost (HTTP, JSON, parsing), not the
 * simulator's time to compute a report. Both sides are timed to a parsed table:
 * ours returns header-keyed rows; the official client returns the raw KalturaReportTable, which a
 * user then has to split (we split it with our parser, the cheapest way, in the baseline's favour).
 * Also: a 3-item multirequest (getTotal + getGraphs + getTable of 500 rows) through each client.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { startSimulator } from '../simulator/index.js';
import { createKalturaClient } from '../shared/kaltura/kaltura-client.js';
import { parseGraphs, parseTable, parseTotal } from '../shared/kaltura/report-parsing.js';
import type { BenchResult } from './types.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the official client ships no types
const kaltura = require('kaltura-client') as any;

const WINDOW = { fromDate: 1748736000, toDate: 1751327999, timeZoneOffset: 0, interval: 'days' as const };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function run(options: { quick: boolean }): Promise<BenchResult[]> {
  const rounds = options.quick ? 3 : 15;
  const sim = await startSimulator({ bigRowCount: 12_000 });
  const replay = await startReplay(sim.serviceUrl);
  const ours = createKalturaClient({ serviceUrl: replay.serviceUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret });
  const config = new kaltura.Configuration();
  config.serviceUrl = new URL(replay.serviceUrl).origin;
  config.setLogger({}); // silence: the official logger prints every request, KS included
  const official = new kaltura.Client(config);
  official.setKs(await kaltura.services.session.start(sim.adminSecret, null, 2, sim.partnerId).execute(official));
  try {
    const filter = { ...WINDOW, entryIdIn: ['1_big_bench'] };
    const officialFilter = () => new kaltura.objects.EndUserReportInputFilter({ ...WINDOW, entryIdIn: '1_big_bench' });
    const pipe = () => new kaltura.objects.ReportResponseOptions({ delimiter: '|' });

    const oursTable = async () => (await ours.getTable({ reportType: 1, filter, pageSize: 12_000, pageIndex: 1 })).rows.length;
    const officialTable = async () => {
      const raw = await kaltura.services.report.getTable(1, officialFilter(), new kaltura.objects.FilterPager({ pageSize: 12_000, pageIndex: 1 }), null, null, pipe()).execute(official);
      return parseTable(raw, '|').rows.length;
    };
    const oursBundle = async () => {
      const b = await ours.getReportBundle({ reportType: 1, filter, pageSize: 500 });
      return b.table.ok ? b.table.value.rows.length : 0;
    };
    const officialBundle = async () => {
      const raw: unknown[] = await kaltura.services.report
        .getTotal(1, officialFilter(), null, pipe())
        .add(kaltura.services.report.getGraphs(1, officialFilter(), null, null, pipe()))
        .add(kaltura.services.report.getTable(1, officialFilter(), new kaltura.objects.FilterPager({ pageSize: 500, pageIndex: 1 }), null, null, pipe()))
        .execute(official);
      parseTotal(raw[0], '|');
      parseGraphs(raw[1], '|');
      return parseTable(raw[2], '|').rows.length;
    };

    const measure = async (cases: Array<[string, () => Promise<number>]>) => {
      const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
      for (const [, fn] of cases) await fn(); // warm-up (sessions, sockets, JIT)
      for (let i = 0; i < rounds; i++) {
        for (const [name, fn] of i % 2 === 0 ? cases : [...cases].reverse()) {
          const start = performance.now();
          const rows = await fn();
          times.get(name)!.push(performance.now() - start);
          if (rows === 0) throw new Error(`${name} returned no rows`);
        }
      }
      return new Map([...times].map(([k, v]) => [k, median(v)]));
    };

    const table = await measure([
      ['ours', oursTable],
      ['official', officialTable],
    ]);
    const bundle = await measure([
      ['ours', oursBundle],
      ['official', officialBundle],
    ]);
    const tRatio = table.get('ours')! / table.get('official')!;
    const bRatio = bundle.get('ours')! / bundle.get('official')!;
    return [
      {
        title: 'Kaltura client vs official kaltura-client (recorded answers replayed by node:http, median ms)',
        rows: [
          { call: 'getTable 12,000 rows (parsed)', ours_ms: table.get('ours')!.toFixed(1), official_ms: table.get('official')!.toFixed(1), ratio: `${tRatio.toFixed(2)}x` },
          { call: 'multirequest total+graphs+table(500)', ours_ms: bundle.get('ours')!.toFixed(1), official_ms: bundle.get('official')!.toFixed(1), ratio: `${bRatio.toFixed(2)}x` },
        ],
        targets: [
          { target: 'getTable 12,000 rows: our time <= 1.1x the official client', measured: `${tRatio.toFixed(2)}x`, pass: tRatio <= 1.1 },
          { target: 'report multirequest: our time <= 1.1x the official client', measured: `${bRatio.toFixed(2)}x`, pass: bRatio <= 1.1 },
        ],
      },
    ];
  } finally {
    await ours.close();
    await replay.close();
    await sim.close();
  }
}

/**
 * Records the simulator's answer per (action, multirequest or not) on first sight, then serves
 * the recorded bytes to every later request of that kind (whichever client and encoding asks).
 */
async function startReplay(target: string): Promise<{ serviceUrl: string; close(): Promise<void> }> {
  const recorded = new Map<string, { type: string; body: Buffer }>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const path = req.url ?? '/';
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      // One key per distinct report shape asked for: action + page size (+ multirequest).
      const size = /pageSize(?:%5D|\]|")?[=:"]*(\d+)/.exec(text)?.[1] ?? '';
      const key = `${path.replace(/^.*\/service\//, '')}|${size}`;
      let hit = recorded.get(key);
      if (!hit) {
        const upstream = await fetch(`${target}${path.replace(/^\/api_v3/, '')}`, { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body });
        hit = { type: upstream.headers.get('content-type') ?? 'application/json', body: Buffer.from(await upstream.arrayBuffer()) };
        recorded.set(key, hit);
      }
      res.writeHead(200, { 'content-type': hit.type, 'content-length': hit.body.length });
      res.end(hit.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    serviceUrl: `http://127.0.0.1:${port}/api_v3`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
