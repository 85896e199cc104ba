/**
 * The local stack as a user runs it: `node bin/kreports.js start` in a child process, signed
 * notifications over HTTP, files and alerts observed in DATA_DIR; then a stop with a big export in
 * flight and a restart that finishes it exactly once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildNotification, postNotification } from '../../simulator/notifications.js';
import { DEFAULT_ADMIN_SECRET } from '../../simulator/index.js';
import { runCli, startStack, tempDir, waitFor, type RunningStack } from '../cli/helpers.js';

async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  } catch {
    return [];
  }
}

async function alerts(dataDir: string): Promise<Array<{ kind: string; subject: { id: string }; rule: string; job: string }>> {
  try {
    return (await readFile(join(dataDir, 'alerts.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

const entryFolder = (dataDir: string, entryId: string) => join(dataDir, 'bucket', 'reports', 'entry-ready', 'performance', entryId);

describe('kreports start (local stack, end to end)', () => {
  let data: { path: string; remove: () => Promise<void> };
  let stack: RunningStack | undefined;

  beforeAll(async () => {
    data = await tempDir('kreports-e2e-');
  });
  afterEach(async () => {
    // A failed test must not leave its stack running: the next one would find DATA_DIR locked.
    await stack?.stop('SIGKILL');
    stack = undefined;
  });
  afterAll(async () => {
    await data.remove();
  });

  it('turns signed notifications into CSV exports and alerts, rejects forgeries and ignores repeats', async () => {
    // Prepare
    stack = await startStack({ DATA_DIR: data.path });
    const healthz = await fetch(stack.healthUrl);
    expect(healthz.status).toBe(200);
    expect(stack.stdout()).toMatch(/partner id 4242/);
    expect(stack.stdout()).toMatch(/npx kreports send-test-webhook --entry 1_demo/);

    // Act: an entry became READY, through the CLI as the banner suggests
    const sent = await runCli(['send-test-webhook', '--url', stack.webhookUrl, '--entry', '1_e2edemo', '--json'], { DATA_DIR: data.path });

    // Assess: CSV + manifest whose key names the entry
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ status: 200, entryId: '1_e2edemo' });
    const files = await waitFor('the export of 1_e2edemo', async () => {
      const names = await listFiles(entryFolder(data.path, '1_e2edemo'));
      return names.length === 2 ? names : undefined;
    });
    expect(files.find((f) => f.endsWith('.csv'))).toBeDefined();
    const manifestName = files.find((f) => f.endsWith('.manifest.json'))!;
    const manifest = JSON.parse(await readFile(join(entryFolder(data.path, '1_e2edemo'), manifestName), 'utf8'));
    expect(manifest).toMatchObject({ job: { rule: 'entry-ready', name: 'performance', subject: { id: '1_e2edemo' } } });
    const csv = await readFile(join(entryFolder(data.path, '1_e2edemo'), files.find((f) => f.endsWith('.csv'))!));
    expect(csv.length).toBe(manifest.bytes);

    // Act: a quiet entry (no plays) fires the low-engagement alert
    const quiet = await postNotification(stack.webhookUrl, buildNotification(4242, DEFAULT_ADMIN_SECRET, { entryId: '1_quiet_e2e' }));
    expect(quiet.status).toBe(200);
    const firing = await waitFor('a firing alert for 1_quiet_e2e', async () => (await alerts(data.path)).find((a) => a.subject.id === '1_quiet_e2e'));
    expect(firing).toMatchObject({ kind: 'firing', rule: 'entry-ready', job: 'low-engagement' });

    // Act: an unhealthy live stream (health beacons at maxSeverity 4) starts a watch that alerts
    const live = await runCli(['send-test-webhook', '--url', stack.webhookUrl, '--entry', '1_unhealthy_e2e', '--live'], { DATA_DIR: data.path });
    expect(live.code).toBe(0);
    const health = await waitFor('a stream-health alert for 1_unhealthy_e2e', async () => (await alerts(data.path)).find((a) => a.subject.id === '1_unhealthy_e2e'));
    expect(health).toMatchObject({ kind: 'firing', rule: 'live-stream', job: 'stream-health' });

    // Act: a forged notification (signed with another secret)
    const forged = await postNotification(stack.webhookUrl, buildNotification(4242, DEFAULT_ADMIN_SECRET, { entryId: '1_quiet_forged', secret: 'not-the-admin-secret' }));
    expect(forged.status).toBe(401);

    // Act: Kaltura retries the same notification (same eventNotificationJobId), quiet entry so it would alert twice
    const repeated = buildNotification(4242, DEFAULT_ADMIN_SECRET, { entryId: '1_quiet_dup', eventNotificationJobId: 987654321 });
    const first = await postNotification(stack.webhookUrl, repeated);
    const second = await postNotification(stack.webhookUrl, repeated);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(JSON.parse(second.body)).toMatchObject({ status: 'duplicate' });
    await waitFor('the alert for 1_quiet_dup', async () => (await alerts(data.path)).find((a) => a.subject.id === '1_quiet_dup'));
    await waitFor('an idle stack', async () => {
      const body = (await (await fetch(stack!.healthUrl)).json()) as { queues: Record<string, { visible: number; delayed: number; inFlight: number }> };
      // The live watch keeps re-polling (a delayed message): idle means nothing visible or running.
      return Object.values(body.queues).every((q) => q.visible + q.inFlight === 0) ? true : undefined;
    });

    // Assess: nothing for the forgery, one of everything for the repeat
    expect(await listFiles(entryFolder(data.path, '1_quiet_forged'))).toEqual([]);
    expect((await alerts(data.path)).filter((a) => a.subject.id === '1_quiet_forged')).toEqual([]);
    expect((await alerts(data.path)).filter((a) => a.subject.id === '1_quiet_dup')).toHaveLength(1);
    expect(await listFiles(entryFolder(data.path, '1_quiet_dup'))).toHaveLength(2);
    // Keys are deterministic and alerts have state, so files and alerts alone would not show a second run.
    expect(stack.stderr().split('\n').filter((l) => l.includes('"message":"export written"') && l.includes('1_quiet_dup'))).toHaveLength(1);

    // Act: graceful stop
    const code = await stack.stop('SIGTERM');
    expect(code).toBe(0);
    expect(stack.stdout()).toMatch(/Stopped\./);
    stack = undefined;
  }, 90_000);

  it.each([
    { signal: 'SIGTERM' as const, entryId: '1_big_term', eventId: 123123001, how: 'a graceful stop' },
    { signal: 'SIGKILL' as const, entryId: '1_big_kill', eventId: 123123002, how: 'a crash' },
  ])('finishes a big export that was in flight at $how ($signal), exactly once, after a restart', async ({ signal, entryId, eventId }) => {
    // Prepare: slow pages so the export is still running when we stop the stack
    const bigRows = 9000; // 3 pages of 4000/4000/1000
    stack = await startStack({ DATA_DIR: data.path, SIMULATOR_BIG_ROWS: String(bigRows), SIMULATOR_PAGE_DELAY_MS: '1500', STOP_GRACE_MS: '100' });
    const notification = buildNotification(4242, DEFAULT_ADMIN_SECRET, { entryId, eventNotificationJobId: eventId });
    const sent = await postNotification(stack.webhookUrl, notification);
    expect(sent.status).toBe(200);
    await waitFor('the big export in flight', async () => {
      for (const name of await listFiles(join(data.path, 'queues', 'export'))) {
        if (!name.endsWith('.json')) continue; // the queue writes `<id>.json.tmp` then renames it
        let message: { body: string; receiveCount: number };
        try {
          message = JSON.parse(await readFile(join(data.path, 'queues', 'export', name), 'utf8')) as typeof message;
        } catch {
          continue; // renamed or deleted between the listing and the read
        }
        if (message.receiveCount >= 1 && message.body.includes(entryId)) return true;
      }
      return undefined;
    });

    // Act: stop mid-work
    await new Promise((r) => setTimeout(r, 500));
    const stopped = stack;
    await stopped.stop(signal);
    stack = undefined;
    if (signal === 'SIGTERM') expect(stopped.stderr()).toMatch(/stopped with jobs still running; they run again at the next start/);
    expect(await listFiles(entryFolder(data.path, entryId))).toEqual([]);

    // Act: start again (fast pages now); Kaltura also retries the notification meanwhile
    stack = await startStack({ DATA_DIR: data.path, SIMULATOR_BIG_ROWS: String(bigRows) });
    const retried = await postNotification(stack.webhookUrl, notification);
    expect(retried.status).toBe(200);

    // Assess: the export completes, once, with every row
    const files = await waitFor('the big export', async () => {
      const names = await listFiles(entryFolder(data.path, entryId));
      return names.length === 2 ? names : undefined;
    }, 30_000);
    const manifest = JSON.parse(await readFile(join(entryFolder(data.path, entryId), files.find((f) => f.endsWith('.manifest.json'))!), 'utf8'));
    expect(manifest.rows).toBe(bigRows);
    await waitFor('empty queues', async () => ((await listFiles(join(data.path, 'queues', 'export'))).length === 0 ? true : undefined));
    expect(await listFiles(join(data.path, 'dead-letters', 'export'))).toEqual([]);
    expect(stack.stderr().match(/"message":"export written"/g)?.length ?? 0).toBe(1);
    expect(await stack.stop('SIGTERM')).toBe(0);
    stack = undefined;
  }, 90_000);
});
