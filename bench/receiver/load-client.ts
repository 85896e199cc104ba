/**
 * Load generator for bench/receiver.bench.ts, run in its own process so it does not share the
 * server's event loop: N keep-alive connections (undici Pool) POST signed ~3 KB notifications,
 * each with a fresh eventNotificationJobId (so the receiver does the full work, not the duplicate
 * path), encoded as Kaltura encodes them (PHP json_encode: ASCII with \u escapes and \/), until
 * `maxRequests` or `durationMs`. Loopback only. Prints one JSON line of results.
 */
import { Pool } from 'undici';
import { createHash } from 'node:crypto';

const [url, connectionsArg, durationArg, maxArg, secret, idBaseArg] = process.argv.slice(2);
const target = new URL(url!);
if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost') throw new Error('loopback only');
const connections = Number(connectionsArg);
const durationMs = Number(durationArg);
const maxRequests = Number(maxArg);
let nextId = Number(idBaseArg);

const description = 'x'.repeat(2200);
/** As Kaltura (PHP json_encode) encodes: every non-ASCII character as \uXXXX, "/" as "\/". */
const phpJson = (value: unknown) => JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')).replace(/\//g, '\\/');
function request(): { body: string; headers: Record<string, string> } {
  const id = nextId++;
  const body = phpJson({
    object: {
      id: `0_bench${id % 1000}`,
      name: 'Benchmark entry \u00e9',
      partnerId: 4242,
      status: 2,
      description,
      downloadUrl: 'https://cdnapisec.kaltura.com/p/4242/sp/424200/playManifest/entryId/0_bench/format/download',
      createdAt: 1764200000,
      objectType: 'KalturaMediaEntry',
    },
    eventObjectType: 1,
    eventNotificationJobId: id,
    templateId: 101,
    templateName: 'Entry Status Equals',
    templateSystemName: 'HTTP_ENTRY_STATUS_EQUALS',
    eventType: 3,
    objectType: 'KalturaHttpNotification',
  });
  const signature = createHash('sha256').update(secret! + body).digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'x-kaltura-signature': signature, 'x-kaltura-hash-algo': 'sha256' } };
}

const pool = new Pool(target.origin, { connections, pipelining: 1 });
const statuses: Record<string, number> = {};
let sent = 0;
let done = 0;
const started = performance.now();
const deadline = started + durationMs;
const bodyBytes = Buffer.byteLength(request().body);

async function worker(): Promise<void> {
  while (sent < maxRequests && performance.now() < deadline) {
    sent++;
    const { body, headers } = request();
    const res = await pool.request({ path: target.pathname, method: 'POST', headers, body });
    await res.body.dump();
    statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
    done++;
  }
}

await Promise.all(Array.from({ length: connections }, worker));
const elapsed = performance.now() - started;
await pool.close();
process.stdout.write(JSON.stringify({ requests: done, elapsedMs: elapsed, perSecond: (done / elapsed) * 1000, statuses, bodyBytes }) + '\n');
