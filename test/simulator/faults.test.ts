import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { adminKs, callForm, reportParams } from './helpers.js';

let sim: Simulator;
let ks: string;
beforeAll(async () => {
  sim = await startSimulator();
  ks = await adminKs(sim);
});
afterAll(async () => {
  await sim.close();
});

const total = () => callForm(sim, 'report', 'getTotal', reportParams(ks, {}, { entryIdIn: '1_f' }));

describe('fault injection', () => {
  it('http-status answers with that status for the next `times` matching requests', async () => {
    sim.injectFault({ kind: 'http-status', status: 503, times: 2, match: { service: 'report' } });
    const entry = await callForm(sim, 'baseentry', 'get', { ks, entryId: '1_a' });
    const first = await total();
    const second = await total();
    const third = await total();
    expect(entry.status).toBe(200);
    expect([first.status, second.status, third.status]).toEqual([503, 503, 200]);
    expect(sim.requests.slice(-3).map((r) => r.httpStatus)).toEqual([503, 503, 200]);
  });

  it('matches a sub-request of a multirequest at HTTP level', async () => {
    sim.injectFault({ kind: 'http-status', status: 502, match: { action: 'getTotal' } });
    const r = await fetch(`${sim.serviceUrl}/service/multirequest`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ format: 1, ks, 0: { service: 'report', action: 'getTotal', reportType: 1, reportInputFilter: { fromDate: 1, toDate: 2 } } }),
    });
    expect(r.status).toBe(502);
  });

  it('delay answers late (a client timeout fires)', async () => {
    sim.injectFault({ kind: 'delay', ms: 400 });
    const started = Date.now();
    const late = await callForm(sim, 'baseentry', 'get', { ks, entryId: '1_a' });
    expect(late.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    sim.injectFault({ kind: 'delay', ms: 2000 });
    const aborted = await fetch(`${sim.serviceUrl}/service/baseentry/action/get`, { method: 'POST', body: `format=1&entryId=1_a&ks=${encodeURIComponent(ks)}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, signal: AbortSignal.timeout(100) })
      .then(() => 'answered')
      .catch((e: Error) => e.name);
    expect(aborted).toBe('TimeoutError');
  });

  it('drop-connection destroys the socket', async () => {
    sim.injectFault({ kind: 'drop-connection', match: { service: 'report', action: 'getTotal' } });
    const failure = await total().then(
      () => undefined,
      (e: Error & { cause?: { code?: string } }) => e,
    );
    expect(failure).toBeInstanceOf(TypeError);
    expect(sim.requests.at(-1)?.httpStatus).toBe(0);
    expect((await total()).status).toBe(200);
  });

  it('api-error answers a KalturaAPIException with HTTP 200 and the given args', async () => {
    sim.injectFault({ kind: 'api-error', code: 'INVALID_KS', args: { KSID: 'EXPIRED', ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' }, match: { action: 'getTotal' } });
    const r = await total();
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ code: 'INVALID_KS', message: 'Invalid KS "EXPIRED", Error "-1,INVALID_STR"', objectType: 'KalturaAPIException', args: { KSID: 'EXPIRED', ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' } });
  });

  it('html-page answers an HTML page, with HTTP 200 unless a status is given', async () => {
    // Act
    sim.injectFault({ kind: 'html-page', match: { action: 'getTotal' } });
    const page = await total();
    sim.injectFault({ kind: 'html-page', status: 502, title: '502 Bad Gateway' });
    const gateway = await total();
    const after = await total();
    // Assess
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html');
    expect(page.text).toMatch(/^<!DOCTYPE html>[\s\S]*<title>Service Temporarily Unavailable<\/title>/);
    expect(gateway.status).toBe(502);
    expect(gateway.text).toContain('<title>502 Bad Gateway</title>');
    expect(after.status).toBe(200);
    expect(after.json()).toMatchObject({ objectType: 'KalturaReportTotal' });
  });

  it('empty-body answers HTTP 200 with nothing in it and no X-Kaltura header', async () => {
    // Act
    sim.injectFault({ kind: 'empty-body', match: { service: 'report' } });
    const empty = await total();
    // Assess
    expect(empty.status).toBe(200);
    expect(empty.text).toBe('');
    expect(empty.headers.get('x-kaltura')).toBeNull();
    expect(sim.requests.at(-1)?.httpStatus).toBe(200);
  });

  it('truncated-json answers the first half of the real answer, with a Content-Length that matches it', async () => {
    // Prepare
    const whole = await total();
    sim.injectFault({ kind: 'truncated-json', match: { action: 'getTotal' } });
    // Act
    const cut = await total();
    // Assess
    expect(cut.status).toBe(200);
    expect(Number(cut.headers.get('content-length'))).toBe(Buffer.byteLength(cut.text));
    expect(cut.text.length).toBe(Math.floor(whole.text.length / 2));
    expect(whole.text.startsWith(cut.text)).toBe(true);
    expect(() => cut.json()).toThrow(SyntaxError);
  });

  it('null-result answers JSON null for the matching action only, inside a multirequest too', async () => {
    // Prepare
    sim.injectFault({ kind: 'null-result', match: { action: 'getTotal' } });
    // Act
    const r = await fetch(`${sim.serviceUrl}/service/multirequest`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ format: 1, ks, 1: { service: 'baseentry', action: 'get', entryId: '1_a' }, 2: { service: 'report', action: 'getTotal', reportType: 1, reportInputFilter: { objectType: 'KalturaReportInputFilter', fromDate: 1, toDate: 2 } } }),
    });
    // Assess
    const [entry, nothing] = (await r.json()) as unknown[];
    expect(entry).toMatchObject({ id: '1_a' });
    expect(nothing).toBeNull();
  });

  it('invalid-ks-after with later: a KS issued after the revocation is refused too', async () => {
    // Prepare
    sim.injectFault({ kind: 'invalid-ks-after', calls: 0, later: true });
    // Act
    const fresh = await adminKs(sim);
    const refused = await callForm(sim, 'baseentry', 'get', { ks: fresh, entryId: '1_a' });
    sim.clearFaults();
    const again = await callForm(sim, 'baseentry', 'get', { ks: fresh, entryId: '1_a' });
    // Assess
    expect(refused.json()).toMatchObject({ code: 'INVALID_KS', args: { KSID: 'EXPIRED' } });
    expect(again.json()).toMatchObject({ id: '1_a' });
  });

  it('clearFaults removes pending faults', async () => {
    sim.injectFault({ kind: 'http-status', status: 500, times: 5 });
    sim.clearFaults();
    expect((await total()).status).toBe(200);
  });
});

describe('request log', () => {
  it('records service, action, params and status, newest last, without KS or secrets', async () => {
    sim.clearRequests();
    await callForm(sim, 'session', 'start', { secret: sim.adminSecret, partnerId: sim.partnerId, type: 2 });
    const widget = (await callForm(sim, 'session', 'startWidgetSession', { widgetId: `_${sim.partnerId}` })).json() as { ks: string };
    await callForm(sim, 'apptoken', 'startSession', { ks: widget.ks, id: sim.appToken.id, tokenHash: 'f'.repeat(64) });
    await total();
    await fetch(`${sim.serviceUrl}/service/report/action/getTotal?ks=${encodeURIComponent(ks)}&format=1`, { method: 'POST' });
    const log = sim.requests;
    expect(log.map((r) => `${r.service}.${r.action}`)).toEqual(['session.start', 'session.startWidgetSession', 'apptoken.startSession', 'report.getTotal', 'report.getTotal']);
    expect(log[3]?.httpStatus).toBe(200);
    expect((log[3]?.params.reportInputFilter as Record<string, unknown>).entryIdIn).toBe('1_f');
    const text = JSON.stringify(log);
    expect(text).not.toContain(ks);
    expect(text).not.toContain(widget.ks);
    expect(text).not.toContain(sim.adminSecret);
    expect(text).not.toContain('f'.repeat(64));
    expect(text).not.toMatch(/djJ8/);
    sim.clearRequests();
    expect(sim.requests).toHaveLength(0);
  });
});
