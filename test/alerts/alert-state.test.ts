/**
 * The alert state machine's transitions, on their own (the end-to-end behaviour is in
 * check-alerts.test.ts): which observation after which state notifies, and with what.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlertInProgressError, decideTransition, evaluateAlert, type AlertState, type AlertStatus, type EvaluateAlertOptions } from '../../shared/alerts/alert-state.js';
import type { AlertMessage, Observation } from '../../shared/alerts/alert-message.js';
import { deferralSecondsFor, waitReasonOf } from '../../shared/errors/back-off.js';
import { createFileStateStore } from '../../shared/state/file-state-store.js';

const T0 = new Date('2026-11-27T10:00:00Z');
const HOUR = 3_600_000;
const obs = (status: Observation['status']): Observation => ({ status, description: status });

function stateOf(status: AlertStatus, notifiedHoursAgo = 1, episodeHoursAgo = 5): AlertState {
  return {
    status,
    since: new Date(T0.getTime() - episodeHoursAgo * HOUR).toISOString(),
    episodeStartedAt: new Date(T0.getTime() - episodeHoursAgo * HOUR).toISOString(),
    lastNotifiedAt: new Date(T0.getTime() - notifiedHoursAgo * HOUR).toISOString(),
    lastEvaluatedAt: new Date(T0.getTime() - HOUR).toISOString(),
  };
}

describe('alert transitions', () => {
  it.each([
    // previous, observation, notify, next status
    [undefined, 'ok', undefined, 'ok'],
    [undefined, 'firing', 'firing', 'firing'],
    ['ok', 'firing', 'firing', 'firing'],
    ['resolved', 'firing', 'firing', 'firing'],
    ['firing', 'firing', undefined, 'firing'],
    ['firing', 'ok', 'resolved', 'resolved'],
    ['resolved', 'ok', undefined, 'resolved'],
    ['ok', 'error', 'error', 'error'],
    ['firing', 'error', 'error', 'error'],
    ['error', 'error', undefined, 'error'],
    ['error', 'ok', 'resolved', 'resolved'],
    ['error', 'firing', 'firing', 'firing'],
    ['ok', 'no-data', 'no-data', 'no-data'],
    ['no-data', 'ok', 'resolved', 'resolved'],
  ] as const)('%s + %s -> notify %s, status %s', (previous, observed, notify, status) => {
    const decision = decideTransition(previous ? stateOf(previous) : undefined, obs(observed), T0, 24 * HOUR, 'job');
    expect(decision.notify).toBe(notify);
    expect(decision.next.status).toBe(status);
  });

  it('repeats a firing alert only once the repeat interval has passed', () => {
    expect(decideTransition(stateOf('firing', 23.9), obs('firing'), T0, 24 * HOUR, 'job').notify).toBeUndefined();
    const due = decideTransition(stateOf('firing', 24), obs('firing'), T0, 24 * HOUR, 'job');
    expect(due.notify).toBe('repeat');
    expect(due.next.lastNotifiedAt).toBe(T0.toISOString());
    // The episode keeps its start, for "firing since" and the resolved duration.
    expect(due.next.episodeStartedAt).toBe(stateOf('firing').episodeStartedAt);
  });

  it('gives the resolved notification the start of the episode', () => {
    const decision = decideTransition(stateOf('firing', 1, 7.5), obs('ok'), T0, 24 * HOUR, 'job');
    expect(decision.since?.toISOString()).toBe(new Date(T0.getTime() - 7.5 * HOUR).toISOString());
    expect(decision.previousStatus).toBe('firing');
  });
});

describe('alert transitions over any sequence of observations (property)', () => {
  it('never notifies twice for one unchanged status within the repeat interval, and resolves only what fired', async () => {
    const fc = (await import('fast-check')).default;
    const step = fc.record({ status: fc.constantFrom('ok', 'firing', 'error', 'no-data'), minutes: fc.integer({ min: 1, max: 600 }) });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.integer({ min: 1, max: 48 }), (steps, repeatHours) => {
        const repeatMs = repeatHours * HOUR;
        let state: AlertState | undefined;
        let t = T0.getTime();
        let lastNotified: number | undefined;
        for (const s of steps) {
          t += s.minutes * 60_000;
          const before = state?.status ?? 'ok';
          const d = decideTransition(state, obs(s.status as Observation['status']), new Date(t), repeatMs, 'job');
          if (d.notify) {
            // A notification for an unchanged status only once the repeat interval has passed.
            const unchanged = (s.status === 'firing' && before === 'firing') || (s.status !== 'ok' && s.status === before);
            if (unchanged) expect(t - lastNotified!).toBeGreaterThanOrEqual(repeatMs);
            // "resolved" only after something was wrong.
            if (d.notify === 'resolved') expect(['firing', 'error', 'no-data']).toContain(before);
            lastNotified = t;
          } else {
            // Silence means nothing changed that matters.
            expect(s.status === 'ok' ? ['ok', 'resolved'] : [s.status]).toContain(before);
          }
          expect(d.next.status).toBe(s.status === 'ok' ? (d.notify === 'resolved' || before === 'resolved' ? 'resolved' : 'ok') : s.status);
          state = d.next;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('an evaluation that dies between deciding and sending', () => {
  /** evaluateAlert options for one quiet-entry check, delivering into `sent`. */
  function anEvaluation(store: EvaluateAlertOptions['store'], sent: string[], overrides: Partial<EvaluateAlertOptions> = {}): EvaluateAlertOptions {
    return {
      store,
      key: { rule: 'entry-ready', job: 'low-engagement', subject: { scope: 'entry', id: '1_quiet' } },
      observation: obs('firing'),
      now: T0,
      repeatIntervalMs: 24 * HOUR,
      destinations: ['slack'],
      jobId: 'job-1',
      buildMessage: ({ id, kind }) => ({ id, kind }) as unknown as AlertMessage,
      deliver: async (destination, message) => {
        sent.push(`${destination}:${message.kind}`);
        return { ok: true };
      },
      ...overrides,
    };
  }

  it('leaves its claimed notification to the next evaluation once the claim runs out: deferred first, then sent once', async () => {
    // Prepare: the first evaluation decides "firing" and dies while sending (its delivery never returns)
    const dir = await mkdtemp(join(tmpdir(), 'kreports-alert-claim-'));
    const store = createFileStateStore({ directory: dir });
    const sent: string[] = [];
    const dying = evaluateAlert(anEvaluation(store, sent, { claimMs: 60_000, deliver: () => new Promise(() => undefined) }));
    await new Promise((r) => setTimeout(r, 50));
    try {
      // Act: its job comes back at once (SQS redelivery, or the local stack's restart)...
      const redelivered = await evaluateAlert(anEvaluation(store, sent, { now: new Date(T0.getTime() + 1_000) })).catch((e: unknown) => e);
      // ...and again after the claim ran out
      const later = await evaluateAlert(anEvaluation(store, sent, { now: new Date(T0.getTime() + 62_000) }));
      const again = await evaluateAlert(anEvaluation(store, sent, { now: new Date(T0.getTime() + 63_000) }));
      // Assess: not acknowledged as done, but deferred without an attempt until the claim ends; then sent once
      expect(redelivered).toBeInstanceOf(AlertInProgressError);
      expect(deferralSecondsFor(redelivered, {})).toBe(60);
      expect(waitReasonOf(redelivered)).toBe('another evaluation is sending this alert');
      expect(later).toMatchObject({ status: 'firing', notified: 'firing', delivered: ['slack'] });
      expect(again.notified).toBeUndefined();
      expect(sent).toEqual(['slack:firing']);
    } finally {
      void dying;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
