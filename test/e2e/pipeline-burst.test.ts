/**
 * The whole pipeline under a (small) burst: `kreports start` as a child process, signed notifications
 * from a separate load process (unmatched, exports, checks, 10 % exact duplicates sent concurrently), a
 * SIGKILL of the stack in the middle. The accounting comes from DATA_DIR (bench/pipeline/harness.ts);
 * `npm run bench -- pipeline` runs the same with 5,000 notifications and several restarts.
 */
import { describe, expect, it } from 'vitest';
import { runPipelineBurst } from '../../bench/pipeline/harness.js';

describe('pipeline burst (local stack, end to end)', () => {
  it('300 notifications and a SIGKILL restart: 0 lost, 0 duplicate effects, every job accounted for, Kaltura within budget', async () => {
    // Prepare + Act. The drain may include one alert claim of a killed sender running out (up to 2 min + jitter,
    // docs/alerts.md), so it is given well over that.
    const report = await runPipelineBurst({ total: 300, restarts: 1, budget: 3, kalturaLatencyMs: 50, drainTimeoutMs: 330_000 });

    // Assess: the harness's own verdict, then the figures it is made of
    expect(report.problems).toEqual([]);
    expect(report.restarts).toBe(1);
    const a = report.accounting;
    expect(a.posts).toBe(300);
    expect(a.accepted).toBe(270); // 30 of the POSTs were the second copy of a notification
    expect(a.archived).toBe(a.accepted);
    expect(a.lost).toBe(0);
    expect(a.notAccepted).toBe(0);
    expect(a.jobsCreated).toBe(a.jobsExpected);
    expect(a.jobsCreated).toBe(a.jobsDone + a.deadLettered);
    expect(a.jobsMissing).toBe(0);
    expect(a.leftInQueues).toBe(0);
    expect(a.csvWritten).toBe(a.distinctExportJobs);
    expect(a.distinctExportJobs).toBeGreaterThan(0);
    expect(a.alertsSent).toBe(a.distinctFiringSubjects);
    expect(a.distinctFiringSubjects).toBe(a.expectedFiringSubjects);
    expect(a.expectedFiringSubjects).toBeGreaterThan(0);
    expect(a.duplicateEffects).toBe(0);
    expect(a.duplicateAnswers).toBeGreaterThan(0);
    expect(a.kalturaPeakInFlight).toBeGreaterThan(0);
    expect(a.kalturaPeakInFlight).toBeLessThanOrEqual(3);
    expect(Number.isFinite(report.latencyP50Ms)).toBe(true);
  }, 480_000);
});
