/**
 * Export throughput and memory: our pipeline (paged getTable -> streaming CSV -> S3 multipart) versus
 * a naive one a user might write (official kaltura-client, all pages in memory, csv-stringify, one
 * PutObject), at 10k, 100k and 1M rows (`--quick`: 10k and 100k), in one run. Also: how many worker
 * invocations a 30-minute Reports Microservice job costs with our polling backoff.
 *
 * The Kaltura side serves the simulator's `big` entry rows from responses serialised before timing
 * (see startBenchKaltura), beyond the real server's 12000-row getTable limit (WIRE_FACTS §1.5), so
 * that both pipelines are measured, not the row generator. The S3 side is s3rver on loopback, in its
 * own process. Each side runs in a
 * fresh child process (bench/exports-child.ts); its peak RSS is the kernel's high-water mark. Each
 * side runs 3 times (2 at 1M rows), alternating with the other, and its fastest run is reported.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createKs } from '../simulator/ks.js';
import { parseReportQuery, sanitizeCell, tableModel } from '../simulator/reports.js';
import { DEFAULT_ADMIN_SECRET } from '../simulator/index.js';
import { invocationsFor } from '../shared/exports/run-microservice-job.js';
import type { BenchResult, BenchTarget } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
/**
 * Both sides page alike, 1000 rows a page (about 90 KB of response text). With 4000-row pages (our
 * default: fewer round trips for the at most 12000 rows the real server serves) each response is
 * ~360 KB, which V8 allocates in its large-object space and frees only at major collections: the
 * same pipeline then peaks 60-90 MB higher at 1M rows (docs/exports.md), live memory unchanged.
 */
const PAGE_SIZE = 1_000;
const ENTRY = '1_big_bench';
const FROM = 1_763_337_600; // 2025-11-17
const TO = 1_763_942_400;

interface ChildResult {
  readonly side: 'ours' | 'lib-storage' | 'naive';
  readonly rows: number;
  readonly bytes: number;
  readonly ms: number;
  readonly peakRssBytes: number;
  readonly baselineRssBytes: number;
}

/**
 * The Kaltura side: the simulator's `big` entry rows (simulator/reports.ts `tableModel`, the same
 * synthetic data and cell sanitising), serialised before timing into complete getTable responses,
 * and served by a minimal HTTP server that answers session.start (a real KS v2) and getTable (the
 * page named by `pager[pageIndex]`, form or JSON body alike). The real server's 12000-row limit is
 * not applied. Serving costs next to nothing, so the clients and pipelines are what is measured.
 */
export async function startBenchKaltura(rows: number): Promise<{ serviceUrl: string; partnerId: number; close(): Promise<void> }> {
  const partnerId = 4242;
  const query = parseReportQuery({ reportType: '1', reportInputFilter: { objectType: 'KalturaEndUserReportInputFilter', fromDate: String(FROM), toDate: String(TO), entryIdIn: ENTRY }, responseOptions: { delimiter: '|' } }, rows);
  const table = tableModel(query);
  const header = table.header.join('|');
  // Each row's wire text, generated once; a page is a join of its rows (about 1 ms per 10k rows).
  const rowTexts: string[] = new Array(table.rowCount);
  for (let i = 0; i < table.rowCount; i++) rowTexts[i] = table.rowAt(i).map((c) => sanitizeCell(c, '|')).join('|') + ';';
  const pageCache = new Map<string, Buffer>();
  const page = (size: number, index: number): Buffer | undefined => {
    const start = (index - 1) * size;
    if (start >= table.rowCount) return undefined;
    const key = `${size}:${index}`;
    let body = pageCache.get(key);
    if (!body) {
      body = Buffer.from(JSON.stringify({ header, data: rowTexts.slice(start, start + size).join(''), totalCount: table.rowCount, objectType: 'KalturaReportTable' }));
      pageCache.set(key, body);
    }
    return body;
  };
  // Serialise every page of the benchmark's page size now, before any side is timed.
  for (let index = 1; page(PAGE_SIZE, index); index++);
  const empty = Buffer.from(JSON.stringify({ objectType: 'KalturaReportTable' }));
  const ks = Buffer.from(JSON.stringify(createKs(DEFAULT_ADMIN_SECRET, { partnerId, type: 2, validUntil: Math.floor(Date.now() / 1000) + 86400 })));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '';
      let body: Buffer;
      if (/\/service\/session\/action\/start/i.test(url)) body = ks;
      else if (/\/service\/report\/action\/getTable/i.test(url)) {
        const text = Buffer.concat(chunks).toString('utf8');
        const m = /pager(?:%5B|\[)pageIndex(?:%5D|\])=(\d+)/.exec(text) ?? /"pageIndex"\s*:\s*"?(\d+)/.exec(text);
        const size = /pager(?:%5B|\[)pageSize(?:%5D|\])=(\d+)/.exec(text) ?? /"pageSize"\s*:\s*"?(\d+)/.exec(text);
        body = page(Number(size?.[1] ?? 30), Number(m?.[1] ?? 1)) ?? empty;
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    serviceUrl: `http://127.0.0.1:${port}/api_v3`,
    partnerId,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * s3rver in its own process (as S3 is a separate service): its CPU work (MD5 of every byte, disk
 * writes, concatenating parts) does not compete with the Kaltura stand-in on one event loop.
 */
async function startS3rverProcess(directory: string): Promise<{ port: number; close(): Promise<void> }> {
  const code = [
    "import S3rver from 's3rver';",
    "const s = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.env.S3_DIR, configureBuckets: [{ name: 'bench', configs: [] }] });",
    'const info = await s.run();',
    "process.stdout.write(JSON.stringify({ port: info.port }) + '\\n');",
    "process.on('SIGTERM', () => s.close().then(() => process.exit(0)));",
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: join(here, '..'), env: { ...process.env, S3_DIR: directory }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`s3rver process exited (${code})`)));
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function runChild(side: 'ours' | 'lib-storage' | 'naive', input: Record<string, unknown>): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-old-space-size=6144', '--import', 'tsx', join(here, 'exports-child.ts')], {
      env: { ...process.env, BENCH_INPUT: JSON.stringify({ ...input, side }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`${side} child failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve(JSON.parse(line) as ChildResult);
    });
  });
}

const mb = (bytes: number) => bytes / (1024 * 1024);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function run(options: { quick: boolean }): Promise<BenchResult[]> {
  const sizes = options.quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  const directory = mkdtempSync(join(tmpdir(), 'bench-s3-'));
  const s3 = await startS3rverProcess(directory);
  const s3Info = { port: s3.port };
  const rows: Array<Record<string, string | number>> = [];
  const results = new Map<string, ChildResult>();
  try {
    for (const size of sizes) {
      const kaltura = await startBenchKaltura(size);
      try {
        const input = { serviceUrl: kaltura.serviceUrl, partnerId: kaltura.partnerId, adminSecret: DEFAULT_ADMIN_SECRET, s3Endpoint: `http://127.0.0.1:${s3Info.port}`, bucket: 'bench', entryId: ENTRY, pageSize: PAGE_SIZE, fromDate: FROM, toDate: TO };
        // Several rounds, the sides alternating (ours first, then naive first...): drift on this
        // shared machine hits both alike; each side's fastest run is kept (with its own peak RSS).
        const rounds = size >= 1_000_000 ? 2 : 3;
        for (let round = 0; round < rounds; round++) {
          const order: Array<'ours' | 'lib-storage' | 'naive'> = round % 2 === 0 ? ['ours', 'lib-storage', 'naive'] : ['naive', 'lib-storage', 'ours'];
          for (const side of order) {
            const r = await runChild(side, input);
            if (r.rows !== size) throw new Error(`${side} exported ${r.rows} rows, expected ${size}`);
            const best = results.get(`${side}:${size}`);
            if (!best || r.ms < best.ms) results.set(`${side}:${size}`, r);
          }
        }
      } finally {
        await kaltura.close();
      }
      for (const side of ['ours', 'lib-storage', 'naive'] as const) {
        const r = results.get(`${side}:${size}`)!;
        rows.push({
          rows: fmt(size),
          pipeline: side === 'ours' ? 'ours (stream, pooled multipart)' : side === 'lib-storage' ? 'ours with lib-storage Upload' : 'naive (official client, in memory)',
          'rows/s': fmt(r.rows / (r.ms / 1000)),
          seconds: (r.ms / 1000).toFixed(2),
          'CSV MB': mb(r.bytes).toFixed(1),
          'peak RSS MB': mb(r.peakRssBytes).toFixed(0),
          'RSS after imports MB': mb(r.baselineRssBytes).toFixed(0),
        });
      }
    }
  } finally {
    await s3.close();
    rmSync(directory, { recursive: true, force: true });
  }

  const targets: BenchTarget[] = [];
  const largest = sizes[sizes.length - 1]!;
  const ours = (n: number) => results.get(`ours:${n}`)!;
  const naive = (n: number) => results.get(`naive:${n}`)!;
  const speed = (r: ChildResult) => r.rows / (r.ms / 1000);
  const ratio = speed(ours(largest)) / speed(naive(largest));
  targets.push({
    target: `export throughput at ${fmt(largest)} rows >= 3x the naive baseline${options.quick ? ' (quick run: 1M rows not measured)' : ''}`,
    measured: `${ratio.toFixed(2)}x (${fmt(speed(ours(largest)))} vs ${fmt(speed(naive(largest)))} rows/s)`,
    pass: ratio >= 3,
  });
  const growth = mb(ours(largest).peakRssBytes - ours(10_000).peakRssBytes);
  targets.push({
    target: `our peak RSS at ${fmt(largest)} rows within 64 MB of our peak at 10,000 rows`,
    measured: `+${growth.toFixed(1)} MB (${mb(ours(largest).peakRssBytes).toFixed(0)} vs ${mb(ours(10_000).peakRssBytes).toFixed(0)} MB; naive: ${mb(naive(largest).peakRssBytes).toFixed(0)} MB)`,
    pass: growth <= 64,
  });
  // Not a target: which multipart writer the S3 store uses (docs/aws.md).
  const lib = (n: number) => results.get(`lib-storage:${n}`)!;
  const libGrowth = mb(lib(largest).peakRssBytes - lib(10_000).peakRssBytes);
  targets.push({
    target: `information: pooled multipart writer vs @aws-sdk/lib-storage Upload at ${fmt(largest)} rows (throughput; peak RSS growth from 10,000 rows)`,
    measured: `${(speed(ours(largest)) / speed(lib(largest))).toFixed(2)}x the throughput of lib-storage; +${growth.toFixed(1)} MB vs +${libGrowth.toFixed(1)} MB (peaks ${mb(ours(largest).peakRssBytes).toFixed(0)} vs ${mb(lib(largest).peakRssBytes).toFixed(0)} MB)`,
    pass: true,
  });
  const defaultCost = invocationsFor(30 * 60);
  const fastCost = invocationsFor(30 * 60, 30);
  targets.push({
    target: 'worker invocations for a 30-minute Reports Microservice job <= 15',
    measured: `${defaultCost} at the default 60 s first poll (delays 60, 120, 240, 480, 900 s); ${fastCost} at pollInterval 30s`,
    pass: Math.max(defaultCost, fastCost) <= 15,
  });
  return [{ title: `CSV export: throughput and peak memory (ours vs naive, ${PAGE_SIZE}-row pages), each side in a fresh process`, rows, targets }];
}
