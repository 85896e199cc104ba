/**
 * Reports Microservice (WIRE_FACTS §7, documentation only): `POST /api/v1/report/generate` and
 * `/serve`, Bearer KS. Jobs go pending -> in_progress -> completed after `microserviceJobMs`.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { FileResult, type MicroserviceJob } from './context.js';
import { parseKs } from './ks.js';
import type { MicroserviceHandler } from './server.js';
import { entryNameFor, isBig, isQuiet } from './synthetic.js';
import { hash32, intIn, isRecord, mix, nowSeconds } from './util.js';

const REPORT_COLUMNS: Record<string, ReadonlyArray<string>> = {
  registration: ['user_id', 'email', 'first_name', 'last_name', 'company', 'registered_at', 'status'],
  attachment: ['user_id', 'email', 'entry_id', 'attachment_id', 'attachment_title', 'download_count'],
  reportsEnrichment: ['user_id', 'email', 'first_name', 'last_name', 'company', 'entry_id', 'view_time'],
  pollsActivity: ['poll_id', 'question', 'user_id', 'email', 'answer', 'answered_at'],
  chatUserActivity: ['user_id', 'email', 'messages_sent', 'reactions', 'questions_asked'],
  moderatorTranscripts: ['message_id', 'sent_at', 'sender', 'message'],
  chatModeration: ['action_id', 'performed_at', 'moderator', 'action', 'target_user'],
  groupChatTranscripts: ['message_id', 'sent_at', 'sender', 'message'],
  privateTranscripts: ['message_id', 'sent_at', 'sender', 'recipient', 'message'],
};
const CC_REPORTS = ['pollsActivity', 'chatUserActivity', 'moderatorTranscripts', 'chatModeration', 'groupChatTranscripts', 'privateTranscripts'];
const MESSAGES = ['Hello from Berlin!', 'Can you share the slides, please?', 'Great talk 👏', 'Question: "how does it scale?"', 'Merci, très intéressant', 'Line one; line two'];

function csvQuote(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function cell(column: string, seed: number, i: number, entries: ReadonlyArray<string>): string {
  const entry = entries[i % Math.max(1, entries.length)] ?? '1_sim0001';
  switch (column) {
    case 'user_id':
    case 'sender':
    case 'target_user':
    case 'moderator':
    case 'recipient':
      return `user${(mix(seed, 1) % 500) + 1}`;
    case 'email':
      return `user${(mix(seed, 1) % 500) + 1}@example.com`;
    case 'first_name':
      return ['Ana', 'Björn', 'Chen', 'Élodie'][mix(seed, 2) % 4] ?? '';
    case 'last_name':
      return ['Souza', "O'Brien", 'Wei', 'Müller'][mix(seed, 3) % 4] ?? '';
    case 'company':
      return ['Acme, Inc.', 'Globex', 'Société Générale'][mix(seed, 4) % 3] ?? '';
    case 'entry_id':
      return entry;
    case 'attachment_title':
      return `Slides for ${entryNameFor(entry)}`;
    case 'question':
      return 'Which topic should we cover next?';
    case 'answer':
      return ['Security', 'Pricing, plans', 'Roadmap'][mix(seed, 5) % 3] ?? '';
    case 'message':
      return MESSAGES[mix(seed, 6) % MESSAGES.length] ?? '';
    case 'action':
      return ['delete', 'mute', 'approve'][mix(seed, 7) % 3] ?? '';
    case 'status':
      return 'registered';
    default:
      if (column.endsWith('_at')) return new Date((1735689600 + (mix(seed, 8) % 8640000)) * 1000).toISOString();
      if (column.endsWith('_id')) return `${column.slice(0, -3)}_${mix(seed, 9) % 10000}`;
      return String(intIn(seed, hash32(column), 0, 50));
  }
}

function* jobCsv(job: MicroserviceJob, bigRowCount: number): Generator<string> {
  const columns = REPORT_COLUMNS[job.reportName] ?? ['id', 'value'];
  const params = job.reportParameters;
  const entryValues = [params.entries_ids, params.entryIds, params.entry_ids].flatMap((v) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : []));
  const scope = [...entryValues, ...[params.virtual_event_ids, params.appGuid].flatMap((v) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []))];
  const rows = scope.length > 0 && scope.every(isQuiet) ? 0 : scope.some(isBig) ? bigRowCount : 25;
  const seed = hash32(`${job.reportName}|${JSON.stringify(params)}`);
  yield columns.join(',') + '\n';
  for (let i = 0; i < rows; i++) yield columns.map((c) => csvQuote(cell(c, mix(seed, i), i, entryValues))).join(',') + '\n';
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

type JobStatus = 'pending' | 'in_progress' | 'completed' | 'failed';

function statusOf(job: MicroserviceJob, jobMs: number, now: number): JobStatus {
  const elapsed = now - job.createdAt;
  if (job.outcome.kind === 'stuck') return elapsed < Math.min(200, jobMs / 4) ? 'pending' : 'in_progress';
  if (elapsed >= jobMs) return job.outcome.kind === 'fail' ? 'failed' : 'completed';
  return elapsed < jobMs / 4 ? 'pending' : 'in_progress';
}

export function createMicroserviceHandler(sendFile: (res: ServerResponse, file: FileResult, log: () => void) => Promise<void>): MicroserviceHandler {
  return async ({ state, req, res, body, path, log }) => {
    const action = path.endsWith('/generate') ? 'generate' : 'serve';
    const auth = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(auth);
    const ks = match?.[1] ? parseKs(match[1], state.config.adminSecret) : undefined;
    let parsed: unknown;
    try {
      parsed = body.length > 0 ? JSON.parse(body.toString('utf8')) : {};
    } catch {
      parsed = undefined;
    }
    const logParams = isRecord(parsed) ? parsed : {};
    if (req.method !== 'POST') {
      log(action, logParams, 405);
      return sendJson(res, 405, { error: 'Method not allowed; use POST' });
    }
    if (match?.[1]) state.countAuthenticatedCall();
    if (!ks || ks.partnerId !== state.config.partnerId || ks.validUntil <= nowSeconds() || (match?.[1] !== undefined && state.isRevoked(match[1]))) {
      log(action, logParams, 401);
      return sendJson(res, 401, { error: 'Unauthorized: missing, invalid or expired KS' });
    }
    if (!isRecord(parsed)) {
      log(action, logParams, 400);
      return sendJson(res, 400, { error: 'Request body must be a JSON object' });
    }
    if (action === 'generate') {
      const reportName = typeof parsed.reportName === 'string' ? parsed.reportName : '';
      if (!REPORT_COLUMNS[reportName]) {
        log(action, logParams, 400);
        return sendJson(res, 400, { error: `Unknown reportName "${reportName}"` });
      }
      const reportParameters = isRecord(parsed.reportParameters) ? parsed.reportParameters : {};
      if (CC_REPORTS.includes(reportName)) {
        const events = Array.isArray(reportParameters.virtual_event_ids) ? reportParameters.virtual_event_ids.map(String) : [];
        const allowed = events.every((e) => ks.privileges.virtualeventid === e);
        if (events.length === 0 || !allowed) {
          log(action, logParams, 403);
          return sendJson(res, 403, { error: 'Forbidden: C&C reports need virtual_event_ids and the KS privilege virtualeventid:<id>' });
        }
      }
      const fail = state.takeFault(['microservice-fail', 'microservice-stuck'], () => true);
      const job: MicroserviceJob = {
        sessionId: randomUUID(),
        partnerId: state.config.partnerId,
        reportName,
        reportParameters,
        createdAt: Date.now(),
        outcome: fail?.kind === 'microservice-fail' ? { kind: 'fail', reason: fail.reason } : fail?.kind === 'microservice-stuck' ? { kind: 'stuck' } : { kind: 'ok' },
      };
      state.jobs.set(job.sessionId, job);
      log(action, logParams, 200);
      return sendJson(res, 200, { sessionId: job.sessionId });
    }
    const sessionId = typeof parsed.sessionId === 'string' ? parsed.sessionId : '';
    const job = state.jobs.get(sessionId);
    if (!job || job.partnerId !== ks.partnerId) {
      log(action, logParams, 404);
      return sendJson(res, 404, { error: `Unknown sessionId "${sessionId}"` });
    }
    const status = statusOf(job, state.config.microserviceJobMs, Date.now());
    if (parsed.statusOnly === true || parsed.statusOnly === 'true') {
      log(action, logParams, 200);
      return sendJson(res, 200, status === 'failed' && job.outcome.kind === 'fail' ? { status, error: job.outcome.reason } : { status });
    }
    if (status !== 'completed') {
      log(action, logParams, 409);
      return sendJson(res, 409, status === 'failed' && job.outcome.kind === 'fail' ? { status, error: job.outcome.reason } : { status, error: 'Report is not ready yet' });
    }
    const bigRowCount = state.config.bigRowCount;
    await sendFile(res, new FileResult('text/csv; charset=utf-8', { 'Content-Disposition': `attachment; filename="${job.reportName}.csv"` }, () => jobCsv(job, bigRowCount), true), () =>
      log(action, logParams, 200),
    );
  };
}
