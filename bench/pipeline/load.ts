/**
 * The load process of the pipeline burst (bench/pipeline/harness.ts starts it as a separate process):
 * sends the planned notifications, correctly signed, `concurrency` at a time; the copies of a duplicate
 * go out at the same instant. Like Kaltura, it retries what was not answered 200 (connection refused
 * while the stack restarts, 503 for a claim still in progress), here until `deadlineMs`, so that
 * "accepted" means every notification the stack acknowledged.
 *
 *   node --import tsx bench/pipeline/load.ts <plan.json> <results.jsonl>
 *
 * stdout: `accepted <n>` progress lines, then `done`. Results: one JSON line per POST sequence.
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { buildNotification, postNotification } from '../../simulator/notifications.js';
import type { LoadPlan, LoadResult } from './plan.js';

const [planFile, resultsFile] = process.argv.slice(2);
if (!planFile || !resultsFile) throw new Error('usage: load.ts <plan.json> <results.jsonl>');
const plan = JSON.parse(await readFile(planFile, 'utf8')) as LoadPlan;
const out = createWriteStream(resultsFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function deliver(body: ReturnType<typeof buildNotification>): Promise<Omit<LoadResult, 'eventId' | 'entryId' | 'kind' | 'copy'>> {
  const firstSentAt = Date.now();
  const deadline = firstSentAt + plan.deadlineMs;
  const statuses: Array<number | string> = [];
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await postNotification(plan.webhookUrl, body);
      statuses.push(res.status);
      if (res.status === 200) return { firstSentAt, acceptedAt: Date.now(), status: 200, attempts: attempt, statuses, duplicate: res.body.includes('"duplicate"') };
      if (res.status !== 503 && res.status < 500) return { firstSentAt, status: res.status, attempts: attempt, statuses, duplicate: false };
    } catch (error) {
      statuses.push((error as NodeJS.ErrnoException).code ?? 'error');
    }
    if (Date.now() > deadline) return { firstSentAt, status: 0, attempts: attempt, statuses, duplicate: false };
    await sleep(Math.min(2000, 200 * attempt));
  }
}

let accepted = 0;
let next = 0;
const items = plan.items;
async function lane(): Promise<void> {
  for (let i = next++; i < items.length; i = next++) {
    const item = items[i]!;
    const body = buildNotification(plan.partnerId, plan.secret, { entryId: item.entryId, eventNotificationJobId: item.eventId, status: item.status });
    // Duplicates: the same bytes, sent concurrently (Kaltura's retry racing the first delivery).
    const results = await Promise.all(Array.from({ length: item.copies }, () => deliver(body)));
    results.forEach((r, copy) => {
      out.write(JSON.stringify({ eventId: item.eventId, entryId: item.entryId, kind: item.kind, copy, ...r } satisfies LoadResult) + '\n');
      if (r.status === 200 && ++accepted % 50 === 0) process.stdout.write(`accepted ${accepted}\n`);
    });
  }
}
await Promise.all(Array.from({ length: plan.concurrency }, lane));
await new Promise<void>((resolve) => out.end(resolve));
process.stdout.write(`accepted ${accepted}\ndone\n`);
