/**
 * The example configuration (what `npm start` uses) through the alert handlers, wired as the local
 * runtime wires them (state and alerts under DATA_DIR): a quiet entry-ready notification and an
 * unhealthy live stream each put a firing alert in DATA_DIR/alerts.jsonl.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { createKalturaClient, type KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { loadConfigFile } from '../../shared/config/load-config.js';
import type { ReportingConfig } from '../../shared/config/schema.js';
import { createJobMessage } from '../../shared/jobs/create-job-message.js';
import { createFileStateStore } from '../../shared/state/file-state-store.js';
import { createAlertEngine, createCheckJobHandler, createLiveHealthJobHandler } from '../../shared/alerts/create-alert-engine.js';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import { readJsonLines, tempDir } from './helpers.js';

let sim: Simulator;
let api: KalturaClient;
let config: ReportingConfig;

beforeAll(async () => {
  sim = await startSimulator();
  api = createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5 });
  config = await loadConfigFile(new URL('../../config/reporting.example.yaml', import.meta.url).pathname);
});
afterAll(async () => {
  await api.close();
  await sim.close();
});

function messagesFor(ruleName: string, object: Record<string, unknown>) {
  const rule = config.rules.find((r) => r.name === ruleName)!;
  const at = new Date();
  return rule.jobs.map((spec) =>
    createJobMessage(spec, {
      rule: rule.name,
      trigger: { type: 'notification', eventNotificationJobId: '42', receivedAt: at.toISOString() },
      at,
      timezone: config.kaltura.timezone,
      partnerId: sim.partnerId,
      defaultWindow: { lastDays: 30 },
      defaultScope: 'entry',
      notification: { object },
    }),
  );
}

describe('the example configuration', () => {
  it('fires for a quiet entry and for an unhealthy live stream, into DATA_DIR/alerts.jsonl', async () => {
    const dataDir = await tempDir('example-');
    const logger = createMemoryLogger();
    const deps = { api, config, stateStore: createFileStateStore({ directory: join(dataDir, 'state') }), dataDir, logger };
    const engine = createAlertEngine(deps);
    const check = createCheckJobHandler({ ...deps, engine });
    const live = createLiveHealthJobHandler({ ...deps, engine });

    for (const m of messagesFor('entry-ready', { id: '1_quiet_example', name: 'Quiet example', status: 2 })) if (m.spec.kind === 'check') await check(m, { logger, attempt: 1 });
    for (const m of messagesFor('entry-ready', { id: '1_busy_example', name: 'Busy example', status: 2 })) if (m.spec.kind === 'check') await check(m, { logger, attempt: 1 });
    const next = [];
    for (const m of messagesFor('live-stream', { id: '1_unhealthy_example', name: 'Unhealthy example' })) next.push(await live(m, { logger, attempt: 1 }));

    const alerts = await readJsonLines(join(dataDir, 'alerts.jsonl'));
    expect(alerts.map((a) => [a.job, (a.subject as { id: string }).id, a.kind])).toEqual([
      ['low-engagement', '1_quiet_example', 'firing'],
      ['stream-health', '1_unhealthy_example', 'firing'],
    ]);
    expect(String(alerts[1]!.description)).toContain('primary stream');
    expect(next[0]).toMatchObject({ delaySeconds: 10 });
  });
});
