/**
 * `npm run bench -- pipeline`: the real local stack (`kreports start` as a child process, the Kaltura
 * simulator behind it) takes a burst of 5,000 signed notifications from a separate load process — most
 * unmatched, some exports, some checks, 10 % exact duplicates sent concurrently — with three SIGKILL
 * restarts of the stack in the middle. Figures: intake rate, time until every job is done, p50/p99
 * notification -> CSV latency, and the accounting (bench/pipeline/harness.ts), computed from DATA_DIR.
 * `--quick`: 500 notifications, one restart.
 */
import type { BenchResult } from './types.js';
import { runPipelineBurst } from './pipeline/harness.js';

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function run({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  const total = quick ? 500 : 5000;
  const restarts = quick ? 1 : 3;
  const budget = 4;
  const kalturaLatencyMs = 100;
  const r = await runPipelineBurst({ total, restarts, budget, kalturaLatencyMs, log: (line) => console.log(line) });
  const a = r.accounting;
  const rows = [
    { figure: 'notifications POSTed (incl. concurrent duplicates)', value: fmt(a.posts) },
    { figure: 'SIGKILL restarts of the stack during the burst', value: fmt(r.restarts) },
    { figure: 'intake: distinct notifications acknowledged / s', value: `${fmt(r.intakePerSecond, 1)} (${fmt(r.postsPerSecond, 1)} POSTs/s, burst ${fmt(r.burstSeconds, 1)} s)` },
    { figure: 'time until every job is done (from the first POST)', value: `${fmt(r.allDoneSeconds, 1)} s` },
    { figure: 'notification -> CSV latency p50 / p99', value: `${fmt(r.latencyP50Ms)} ms / ${fmt(r.latencyP99Ms)} ms` },
    { figure: 'notifications accepted = archived (lost)', value: `${fmt(a.accepted)} = ${fmt(a.archived)} (${a.lost} lost, ${a.notAccepted} never acknowledged)` },
    { figure: 'jobs created = done + dead-lettered (missing)', value: `${fmt(a.jobsCreated)} = ${fmt(a.jobsDone)} + ${fmt(a.deadLettered)} (${a.jobsMissing} missing, ${a.leftInQueues} left in queues; plan expects ${fmt(a.jobsExpected)})` },
    { figure: 'CSVs written = distinct export jobs', value: `${fmt(a.csvWritten)} = ${fmt(a.distinctExportJobs)}` },
    { figure: 'alerts sent = distinct firing subjects', value: `${fmt(a.alertsSent)} = ${fmt(a.distinctFiringSubjects)} (quiet entries checked: ${fmt(a.expectedFiringSubjects)})` },
    { figure: 'duplicate effects', value: fmt(a.duplicateEffects) },
    { figure: 'receiver "duplicate" answers / POSTs retried', value: `${fmt(a.duplicateAnswers)} / ${fmt(a.retriedPosts)}` },
    { figure: 'Kaltura: peak requests in flight (budget) / requests', value: `${a.kalturaPeakInFlight} (${a.kalturaBudget}) / ${fmt(a.kalturaRequests)}, ${kalturaLatencyMs} ms added to each report call` },
  ];
  const targets = [
    { target: '0 lost (accepted = archived, every POST acknowledged)', measured: `${a.lost} lost, ${a.notAccepted} unacknowledged, ${fmt(a.accepted)} accepted, ${fmt(a.archived)} archived`, pass: a.lost === 0 && a.notAccepted === 0 && a.accepted === a.archived },
    { target: '0 duplicate effects (CSVs = export jobs, alerts = firing subjects)', measured: `${a.duplicateEffects} (${fmt(a.csvWritten)} CSVs / ${fmt(a.distinctExportJobs)} jobs; ${fmt(a.alertsSent)} alerts / ${fmt(a.distinctFiringSubjects)} subjects)`, pass: a.duplicateEffects === 0 && a.csvWritten === a.distinctExportJobs && a.alertsSent === a.distinctFiringSubjects },
    { target: 'jobs created = done + dead-lettered', measured: `${fmt(a.jobsCreated)} = ${fmt(a.jobsDone)} + ${fmt(a.deadLettered)}`, pass: a.jobsMissing === 0 && a.jobsCreated === a.jobsDone + a.deadLettered && a.jobsCreated === a.jobsExpected },
    { target: `Kaltura requests in flight <= budget (${budget})`, measured: `peak ${a.kalturaPeakInFlight}`, pass: a.kalturaPeakInFlight <= budget },
  ];
  if (r.problems.length > 0) console.log(`  problems: ${r.problems.join('; ')}`);
  return [{ title: `pipeline burst: ${fmt(total)} notifications through kreports start, ${r.restarts} SIGKILL restart(s)`, rows, targets }];
}
