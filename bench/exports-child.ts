/**
 * One side of the export benchmark, in its own process so that its peak RSS is its own
 * (`process.resourceUsage().maxRSS`, the kernel's high-water mark). Started by exports.bench.ts:
 *
 *   node --import tsx bench/exports-child.ts   (input as JSON in BENCH_INPUT, result as JSON on stdout)
 *
 * - `ours`: the real Kaltura client, paged report.getTable -> streaming CSV writer -> S3 (streamed
 *   multipart, pooled part buffers), i.e. `runExport` exactly as the export worker runs it. Only the pager's 12000-row
 *   limit (a property of the real server, WIRE_FACTS §1.5) is lifted, because the benchmark server
 *   serves any number of rows.
 * - `naive`: what a user might write instead: the official `kaltura-client`, every page collected
 *   into an array of row objects, `csv-stringify` (sync) over the whole array, one PutObject.
 */
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { createRequire } from 'node:module';

interface Input {
  readonly side: 'ours' | 'lib-storage' | 'naive';
  readonly serviceUrl: string;
  readonly partnerId: number;
  readonly adminSecret: string;
  readonly s3Endpoint: string;
  readonly bucket: string;
  readonly entryId: string;
  readonly pageSize: number;
  readonly fromDate: number;
  readonly toDate: number;
}

const input = JSON.parse(process.env.BENCH_INPUT ?? '{}') as Input;
const s3 = new S3Client({ endpoint: input.s3Endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
const s3Time: Record<string, number> = {};
if (process.env.BENCH_DEBUG) {
  s3.middlewareStack.add((next, context) => async (args) => {
    const t = performance.now();
    try {
      return await next(args);
    } finally {
      s3Time[String(context.commandName)] = (s3Time[String(context.commandName)] ?? 0) + performance.now() - t;
    }
  }, { step: 'initialize', name: 'benchTiming' });
}

/** Loads everything first (not timed); the returned function is the timed export. */
async function prepareOurs(): Promise<() => Promise<{ rows: number; bytes: number }>> {
  const { createKalturaClient } = await import('../shared/kaltura/kaltura-client.js');
  const { pageTable } = await import('../shared/kaltura/table-pager.js');
  const { tableParams } = await import('../shared/kaltura/report-requests.js');
  const { parseTablePage, REPORT_DELIMITER } = await import('../shared/kaltura/report-parsing.js');
  const { runExport } = await import('../shared/exports/run-export.js');
  const { adHocExportMessage } = await import('../shared/exports/ad-hoc-export.js');
  const { createS3BlobStore } = await import('../shared/storage/s3-blob-store.js');
  // The job message (window computation, ICU timezone data) is ready before the clock starts.
  const message = adHocExportMessage({ source: { type: 'table', reportType: 1, pageSize: input.pageSize }, window: 'previous-week', timezone: 'UTC', partnerId: input.partnerId, scope: 'entry', subjectId: input.entryId, name: 'bench-ours' });
  return async () => {
  const client = createKalturaClient({ serviceUrl: input.serviceUrl, partnerId: input.partnerId, adminSecret: input.adminSecret, timeoutMs: 120_000 });
  const api = {
    ...client,
    iterateTable: (request: Parameters<typeof client.iterateTable>[0]) =>
      pageTable(async (size, index) => parseTablePage(await client.call('report', 'getTable', tableParams(request, size, index)), REPORT_DELIMITER, index), {
        ...(request.pageSize ? { pageSize: request.pageSize } : {}),
        rowLimit: Number.MAX_SAFE_INTEGER,
      }),
  };
  const blobStore = input.side === 'lib-storage' ? await libStorageBlobStore(input.bucket) : createS3BlobStore({ bucket: input.bucket, client: s3 });
  const result = await runExport({ api, blobStore, prefix: 'bench/' }, message);
  await client.close();
  return { rows: result.manifest.rows, bytes: result.manifest.bytes };
  };
}

/** A `BlobStore` on `@aws-sdk/lib-storage`'s `Upload` (same part size and queue as ours), hashing as the bytes pass. */
async function libStorageBlobStore(bucket: string): Promise<import('../shared/ports/blob-store.js').BlobStore> {
  const { Upload } = await import('@aws-sdk/lib-storage');
  const { HashingCounter, hashed } = await import('../shared/storage/hashing.js');
  const { Readable } = await import('node:stream');
  const putStream = async (key: string, body: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, meta: { contentType: string }) => {
    const counter = new HashingCounter();
    const upload = new Upload({ client: s3, queueSize: 2, partSize: 5 * 1024 * 1024, leavePartsOnError: false, params: { Bucket: bucket, Key: key, Body: Readable.from(hashed(body, counter)), ContentType: meta.contentType } });
    await upload.done();
    return { key, ...counter.digest() };
  };
  return {
    putStream,
    putBytes: (key, body, meta) => putStream(key, [body], meta),
    getBytes: async () => undefined,
  };
}

async function prepareNaive(): Promise<() => Promise<{ rows: number; bytes: number }>> {
  const require = createRequire(import.meta.url);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the official client ships loose typings
  const kaltura = require('kaltura-client') as any;
  const { stringify } = (await import('csv-stringify/sync')) as typeof import('csv-stringify/sync');
  return async () => {
  const config = new kaltura.Configuration();
  config.serviceUrl = new URL(input.serviceUrl).origin;
  config.setLogger({}); // not a logger: silences it (it prints every request body, KS included)
  const client = new kaltura.Client(config);
  const ks: string = await kaltura.services.session.start(input.adminSecret, null, kaltura.enums.SessionType.ADMIN, input.partnerId).execute(client);
  client.setKs(ks);
  const filter = new kaltura.objects.EndUserReportInputFilter({ fromDate: input.fromDate, toDate: input.toDate, entryIdIn: input.entryId });
  const options = new kaltura.objects.ReportResponseOptions({ delimiter: '|' });
  const records: Array<Record<string, string>> = [];
  for (let pageIndex = 1; ; pageIndex++) {
    const pager = new kaltura.objects.FilterPager({ pageSize: input.pageSize, pageIndex });
    const table = await kaltura.services.report.getTable(1, filter, pager, null, null, options).execute(client);
    if (!table?.data) break;
    const header = String(table.header).split('|');
    let n = 0;
    for (const line of String(table.data).split(';')) {
      if (line === '') continue;
      const cells = line.split('|');
      const record: Record<string, string> = {};
      header.forEach((h, i) => (record[h] = cells[i] ?? ''));
      records.push(record);
      n++;
    }
    if (n < input.pageSize) break;
  }
  const csv = stringify(records, { header: true });
  await s3.send(new PutObjectCommand({ Bucket: input.bucket, Key: 'bench/naive.csv', Body: csv, ContentType: 'text/csv' }));
  return { rows: records.length, bytes: Buffer.byteLength(csv) };
  };
}

const exportNow = input.side === 'naive' ? await prepareNaive() : await prepareOurs();
const peaks = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const sampler = setInterval(() => {
  if (!process.env.BENCH_DEBUG) return;
  const m = process.memoryUsage();
  for (const k of Object.keys(peaks) as Array<keyof typeof peaks>) peaks[k] = Math.max(peaks[k], m[k]);
}, 50);
const baselineRss = process.memoryUsage.rss();
const t0 = performance.now();
const out = await exportNow();
const ms = performance.now() - t0;
s3.destroy();
clearInterval(sampler);
if (process.env.BENCH_DEBUG) process.stderr.write(JSON.stringify(s3Time) + '\n');
if (process.env.BENCH_DEBUG) process.stderr.write(JSON.stringify(Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, Math.round(v / 1048576)]))) + '\n');
process.stdout.write(JSON.stringify({ side: input.side, ...out, ms, peakRssBytes: process.resourceUsage().maxRSS * 1024, baselineRssBytes: baselineRss }) + '\n');
