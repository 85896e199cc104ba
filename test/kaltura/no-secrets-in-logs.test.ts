/**
 * A full client run (sessions by secret and by app token, reports, multirequest, paging, CSV,
 * microservice, beacons, retries, INVALID_KS renewal, failures) with every log line captured —
 * through the project's memory logger and through a raw logger that does NO redaction — then
 * searched for the KS strings the simulator actually issued (recorded by a proxy) and the secrets.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { createKalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { createMemoryLogger, type Logger } from '../../shared/logging/logger.js';
import { extractKs, startRecordingProxy, type RecordingProxy } from './helpers/recording-proxy.js';
import { JUNE_2025 } from './helpers/simulator-client.js';

/** A Logger that keeps exactly what it was given, unredacted, so the client itself is tested. */
function rawLogger(lines: string[], base: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(JSON.stringify({ level, message, ...base, ...fields }, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message, stack: v.stack, cause: String(v.cause) } : v)));
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (fields) => rawLogger(lines, { ...base, ...fields }),
    metric: (name, value, dimensions) => void lines.push(JSON.stringify({ metric: name, value, dimensions })),
  };
}

let sim: Simulator;
let proxy: RecordingProxy;
beforeAll(async () => {
  sim = await startSimulator({ bigRowCount: 1200, microserviceJobMs: 50 });
  proxy = await startRecordingProxy(new URL(sim.serviceUrl).origin);
});
afterAll(async () => {
  await proxy.close();
  await sim.close();
});

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) void _;
}

async function fullRun(logger: Logger, thrown: unknown[]): Promise<void> {
  const serviceUrl = sim.serviceUrl.replace(new URL(sim.serviceUrl).origin, proxy.origin);
  const reportsUrl = sim.reportsUrl.replace(new URL(sim.reportsUrl).origin, proxy.origin);
  const base = { serviceUrl, reportsUrl, partnerId: sim.partnerId, retryBaseDelayMs: 2, timeoutMs: 2000, logger };
  const clients = [createKalturaClient({ ...base, adminSecret: sim.adminSecret }), createKalturaClient({ ...base, appToken: sim.appToken })];
  const record = async (p: Promise<unknown>) => p.catch((e: unknown) => void thrown.push(e));
  for (const client of clients) {
    await client.getTotal({ reportType: 1, filter: JUNE_2025 });
    await client.getReportBundle({ reportType: 1, filter: JUNE_2025 });
    for await (const page of client.iterateTable({ reportType: 1, filter: { ...JUNE_2025, entryIdIn: ['1_big'] }, pageSize: 500 })) void page;
    const url = await client.getUrlForReportAsCsv({ reportType: 1, filter: JUNE_2025, reportTitle: 't', tableHeaders: ['a'] });
    await drain((await client.downloadCsvUrl(url)).body);
    sim.injectFault({ kind: 'truncate-download', times: 1 });
    await record(drain((await client.downloadCsvUrl(url)).body));
    await drain((await client.getCsvFromStringParams({ id: 4021 })).body);
    const job = await client.microserviceGenerate({ reportName: 'registration', privileges: ['virtualeventid:1'] });
    await client.microserviceStatus(job.sessionId, { privileges: ['virtualeventid:1'] });
    await client.listHealthBeacons({ entryIds: ['1_unhealthy'] });
    sim.injectFault({ kind: 'http-status', status: 503, times: 1 });
    sim.injectFault({ kind: 'drop-connection', times: 1 });
    await client.getTotal({ reportType: 1, filter: JUNE_2025 });
    sim.injectFault({ kind: 'invalid-ks-after', calls: 0 });
    await client.getTotal({ reportType: 1, filter: JUNE_2025 });
    // A KS that is rejected twice: the final error quotes INVALID_KS.
    sim.injectFault({ kind: 'api-error', code: 'SERVICE_FORBIDDEN', args: { SERVICE: 'report->getTotal' }, times: 1 });
    await record(client.getTotal({ reportType: 1, filter: JUNE_2025 }));
    await record(client.call('report', 'getTotal', { reportType: 1 }));
  }
  const wrong = createKalturaClient({ ...base, adminSecret: 'f'.repeat(32) });
  await record(wrong.getTotal({ reportType: 1, filter: JUNE_2025 }));
  await Promise.all([...clients, wrong].map((c) => c.close()));
}

it('no KS, secret or app token appears in any log line or error message of a full client run', async () => {
  // Prepare
  const memory = createMemoryLogger('kaltura-test');
  const raw: string[] = [];
  const thrown: unknown[] = [];
  // Act
  await fullRun(memory, thrown);
  await fullRun(rawLogger(raw), thrown);
  // Assess
  const issued = extractKs(proxy.responseBodies);
  expect(issued.length).toBeGreaterThan(4); // admin, widget, app-token, renewed and CSV-download KSs
  expect(raw.length).toBeGreaterThan(10);
  expect(raw.some((l) => l.includes('retrying'))).toBe(true);
  const texts = [...memory.lines, ...raw, ...thrown.map((e) => (e instanceof Error ? `${e.message}\n${e.stack}\n${JSON.stringify(e)}` : String(e)))];
  const forbidden = [...issued, sim.adminSecret, sim.userSecret, sim.appToken.token];
  for (const text of texts) {
    for (const secret of forbidden) expect(text.includes(secret), `log or error leaks a secret: ${text.slice(0, 200)}`).toBe(false);
    expect(text).not.toMatch(/djJ8[A-Za-z0-9_\-]{20,}/);
    expect(text).not.toMatch(/tokenHash"?\s*[:=]\s*"?[0-9a-f]{20,}/i);
  }
  expect(thrown.length).toBeGreaterThan(0);
});
