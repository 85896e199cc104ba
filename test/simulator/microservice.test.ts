import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { adminKs, rawPost } from './helpers.js';

let sim: Simulator;
let ks: string;
beforeAll(async () => {
  // Long enough that the first status call lands before completion even on a loaded machine.
  sim = await startSimulator({ microserviceJobMs: 1500 });
  ks = await adminKs(sim);
});
afterAll(async () => {
  await sim.close();
});

const post = (path: string, body: unknown, token: string | null = ks) =>
  rawPost(`${sim.reportsUrl}/api/v1/report/${path}`, JSON.stringify(body), 'application/json', token ? { Authorization: `Bearer ${token}` } : {});

async function statusOf(sessionId: string): Promise<Record<string, unknown>> {
  return (await post('serve', { sessionId, statusOnly: true })).json() as Record<string, unknown>;
}

async function waitForEnd(sessionId: string, maxMs = 10_000): Promise<Record<string, unknown>> {
  const until = Date.now() + maxMs;
  for (;;) {
    const s = await statusOf(sessionId);
    if (s.status === 'completed' || s.status === 'failed' || Date.now() > until) return s;
    await new Promise((r) => setTimeout(r, 30));
  }
}

describe('Reports Microservice', () => {
  it('generate -> pending/in_progress -> completed -> CSV body', async () => {
    // Act
    const generated = await post('generate', { reportName: 'registration', reportParameters: { appGuid: 'app-1' } });
    const { sessionId } = generated.json() as { sessionId: string };
    const early = await statusOf(sessionId);
    const end = await waitForEnd(sessionId);
    const csv = await post('serve', { sessionId });
    // Assess
    expect(generated.status).toBe(200);
    expect(typeof sessionId).toBe('string');
    expect(['pending', 'in_progress']).toContain(early.status);
    expect(end).toEqual({ status: 'completed' });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = csv.text.split('\n').filter((l) => l !== '');
    expect(lines[0]).toBe('user_id,email,first_name,last_name,company,registered_at,status');
    expect(lines.length).toBe(26);
  });

  it('serving before completion is refused with the status', async () => {
    const { sessionId } = (await post('generate', { reportName: 'registration', reportParameters: {} })).json() as { sessionId: string };
    const early = await post('serve', { sessionId });
    expect(early.status).toBe(409);
    expect(['pending', 'in_progress']).toContain((early.json() as { status: string }).status);
  });

  it('401 without a Bearer KS or with a bad one', async () => {
    expect((await post('generate', { reportName: 'registration' }, null)).status).toBe(401);
    expect((await post('generate', { reportName: 'registration' }, 'djJ8garbage')).status).toBe(401);
    expect((await post('serve', { sessionId: 'x', statusOnly: true }, null)).status).toBe(401);
  });

  it('400 for an unknown report name, 404 for an unknown session id', async () => {
    expect((await post('generate', { reportName: 'nope' })).status).toBe(400);
    expect((await post('serve', { sessionId: 'no-such-session', statusOnly: true })).status).toBe(404);
  });

  it('C&C reports need the virtualeventid privilege', async () => {
    const body = { reportName: 'pollsActivity', reportParameters: { entries_ids: ['1_a'], virtual_event_ids: ['77'], from_date_id: '2025-06-01', to_date_id: '2025-06-02' } };
    expect((await post('generate', body)).status).toBe(403);
    const privileged = await adminKs(sim, { privileges: 'virtualeventid:77' });
    expect((await post('generate', body, privileged)).status).toBe(200);
  });

  it('microservice-fail: the job ends failed with the reason', async () => {
    sim.injectFault({ kind: 'microservice-fail', reason: 'upstream registration service unavailable' });
    const { sessionId } = (await post('generate', { reportName: 'registration', reportParameters: {} })).json() as { sessionId: string };
    expect(await waitForEnd(sessionId)).toEqual({ status: 'failed', error: 'upstream registration service unavailable' });
    const next = (await post('generate', { reportName: 'registration', reportParameters: {} })).json() as { sessionId: string };
    expect(await waitForEnd(next.sessionId)).toEqual({ status: 'completed' });
  });

  it('microservice-stuck: the job never completes', async () => {
    sim.injectFault({ kind: 'microservice-stuck' });
    const { sessionId } = (await post('generate', { reportName: 'registration', reportParameters: {} })).json() as { sessionId: string };
    expect((await waitForEnd(sessionId, 600)).status).toBe('in_progress');
  });

  it('the request log redacts the Bearer KS', async () => {
    const log = JSON.stringify(sim.requests.filter((r) => r.service === 'reports-microservice'));
    expect(log).not.toContain(ks);
    expect(sim.requests.some((r) => r.service === 'reports-microservice' && r.action === 'generate')).toBe(true);
  });
});
