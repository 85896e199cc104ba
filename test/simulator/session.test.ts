import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { parseKs } from '../../simulator/ks.js';
import { adminKs, callForm, reportParams } from './helpers.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ ksMaxExpirySeconds: 3600 });
});
afterAll(async () => {
  await sim.close();
});

describe('session.start', () => {
  it('returns a KS v2 JSON string carrying partner id, type, expiry and privileges', async () => {
    // Act
    const r = await callForm(sim, 'session', 'start', { secret: sim.adminSecret, partnerId: sim.partnerId, type: 2, userId: 'ops@example.com', privileges: 'virtualeventid:77,disableentitlement' });
    // Assess
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    const ks = r.json() as string;
    expect(ks.startsWith('djJ8')).toBe(true);
    expect(Buffer.from(ks.replace(/-/g, '+').replace(/_/g, '/'), 'base64').subarray(0, 8).toString('latin1')).toBe(`v2|${sim.partnerId}|`);
    const info = parseKs(ks, sim.adminSecret);
    expect(info).toMatchObject({ partnerId: sim.partnerId, type: 2, userId: 'ops@example.com', privileges: { virtualeventid: '77', disableentitlement: '' } });
  });

  it('clamps the expiry to ksMaxExpirySeconds', async () => {
    const ks = await adminKs(sim, { expiry: 999999 });
    const info = parseKs(ks, sim.adminSecret);
    const now = Math.floor(Date.now() / 1000);
    expect(info?.validUntil).toBeGreaterThan(now + 3500);
    expect(info?.validUntil).toBeLessThanOrEqual(now + 3601);
  });

  it('accepts the user secret for USER sessions only', async () => {
    const user = await callForm(sim, 'session', 'start', { secret: sim.userSecret, partnerId: sim.partnerId, type: 0 });
    const admin = await callForm(sim, 'session', 'start', { secret: sim.userSecret, partnerId: sim.partnerId, type: 2 });
    expect(typeof user.json()).toBe('string');
    expect(admin.json()).toEqual({ code: 'START_SESSION_ERROR', message: `Error while starting session for partner [${sim.partnerId}]`, objectType: 'KalturaAPIException', args: { PID: String(sim.partnerId) } });
  });

  it('rejects a wrong secret, a wrong partner and a bad session type', async () => {
    const wrongSecret = await callForm(sim, 'session', 'start', { secret: 'nope', partnerId: sim.partnerId, type: 2 });
    const wrongPartner = await callForm(sim, 'session', 'start', { secret: sim.adminSecret, partnerId: 1, type: 2 });
    const badType = await callForm(sim, 'session', 'start', { secret: sim.adminSecret, partnerId: sim.partnerId, type: 5 });
    expect((wrongSecret.json() as { code: string }).code).toBe('START_SESSION_ERROR');
    expect((wrongPartner.json() as { code: string }).code).toBe('START_SESSION_ERROR');
    expect(badType.json()).toMatchObject({ code: 'INVALID_ENUM_VALUE', args: { ENUM_VAL: '5', PARAM_NAME: 'type' } });
  });

  it('expiry=0 gives an already expired KS: INVALID_KS with KSID "EXPIRED"', async () => {
    const ks = await adminKs(sim, { expiry: 0 });
    const r = await callForm(sim, 'report', 'getTotal', reportParams(ks));
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({
      code: 'INVALID_KS',
      message: 'Invalid KS "EXPIRED", Error "-1,INVALID_STR"',
      objectType: 'KalturaAPIException',
      args: { KSID: 'EXPIRED', ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' },
    });
  });
});

describe('KS checks on other actions', () => {
  it('answers SERVICE_FORBIDDEN with HTTP 200 when no KS is sent', async () => {
    const r = await callForm(sim, 'report', 'getTable', { reportType: 1 });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-kaltura')).toBe('error-SERVICE_FORBIDDEN');
    expect(r.json()).toEqual({ code: 'SERVICE_FORBIDDEN', message: 'The access to service [report->getTable] is forbidden', objectType: 'KalturaAPIException', args: { SERVICE: 'report->getTable' } });
  });

  it('answers INVALID_KS with the KS itself in KSID for a forged or garbled KS', async () => {
    const forged = 'djJ8NDI0MnxhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk=';
    const r = await callForm(sim, 'report', 'getTotal', reportParams(forged));
    expect(r.json()).toMatchObject({ code: 'INVALID_KS', args: { KSID: forged, ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' }, message: `Invalid KS "${forged}", Error "-1,INVALID_STR"` });
  });

  it('"invalid-ks-after" expires every KS issued so far after N calls; a new KS works', async () => {
    const old = await adminKs(sim);
    sim.injectFault({ kind: 'invalid-ks-after', calls: 2 });
    const first = await callForm(sim, 'report', 'getTotal', reportParams(old));
    const second = await callForm(sim, 'report', 'getTotal', reportParams(old));
    const third = await callForm(sim, 'report', 'getTotal', reportParams(old));
    const renewed = await adminKs(sim);
    const fourth = await callForm(sim, 'report', 'getTotal', reportParams(renewed));
    expect((first.json() as { objectType: string }).objectType).toBe('KalturaReportTotal');
    expect((second.json() as { objectType: string }).objectType).toBe('KalturaReportTotal');
    expect(third.json()).toMatchObject({ code: 'INVALID_KS', args: { KSID: 'EXPIRED' } });
    expect((fourth.json() as { objectType: string }).objectType).toBe('KalturaReportTotal');
    sim.clearFaults();
  });
});

describe('widget session + appToken.startSession', () => {
  it('startWidgetSession returns a top-level ks; the widget KS itself cannot read reports', async () => {
    const r = await callForm(sim, 'session', 'startWidgetSession', { widgetId: `_${sim.partnerId}` });
    const body = r.json() as { partnerId: number; ks: string; userId: number; objectType: string };
    expect(body).toMatchObject({ partnerId: sim.partnerId, userId: 0, objectType: 'KalturaStartWidgetSessionResponse' });
    expect(Object.keys(body)).toEqual(['partnerId', 'ks', 'userId', 'objectType']);
    const denied = await callForm(sim, 'report', 'getTotal', reportParams(body.ks));
    expect((denied.json() as { code: string }).code).toBe('SERVICE_FORBIDDEN');
  });

  it('rejects an unknown widget id', async () => {
    const r = await callForm(sim, 'session', 'startWidgetSession', { widgetId: '_1' });
    expect(r.json()).toMatchObject({ code: 'INVALID_WIDGET_ID', args: { WIDGET_ID: '_1' } });
  });

  it('appToken.startSession with tokenHash = hex(hash(widgetKs + token)) returns KalturaSessionInfo with sessionid/apptoken privileges', async () => {
    // Prepare
    const widget = (await callForm(sim, 'session', 'startWidgetSession', { widgetId: `_${sim.partnerId}` })).json() as { ks: string };
    const tokenHash = createHash(sim.appToken.hashType.toLowerCase()).update(widget.ks + sim.appToken.token).digest('hex');
    // Act
    const r = await callForm(sim, 'apptoken', 'startSession', { ks: widget.ks, id: sim.appToken.id, tokenHash, sessionPrivileges: 'virtualeventid:9' });
    // Assess
    const info = r.json() as { ks: string; sessionType: number; partnerId: number; expiry: number; privileges: string; objectType: string };
    expect(info.objectType).toBe('KalturaSessionInfo');
    expect(info.partnerId).toBe(sim.partnerId);
    expect(info.privileges).toContain(`sessionid:${sim.appToken.id}`);
    expect(info.privileges).toContain(`apptoken:${sim.appToken.id}`);
    expect(info.privileges).toContain('virtualeventid:9');
    const total = await callForm(sim, 'report', 'getTotal', reportParams(info.ks));
    expect((total.json() as { objectType: string }).objectType).toBe('KalturaReportTotal');
  });

  it('rejects a wrong tokenHash and an unknown token id', async () => {
    const widget = (await callForm(sim, 'session', 'startWidgetSession', { widgetId: `_${sim.partnerId}` })).json() as { ks: string };
    const badHash = await callForm(sim, 'apptoken', 'startSession', { ks: widget.ks, id: sim.appToken.id, tokenHash: 'ab'.repeat(32) });
    const badId = await callForm(sim, 'apptoken', 'startSession', { ks: widget.ks, id: '0_nope', tokenHash: 'ab' });
    const noKs = await callForm(sim, 'apptoken', 'startSession', { id: sim.appToken.id, tokenHash: 'ab' });
    expect(badHash.json()).toEqual({ code: 'INVALID_APP_TOKEN_HASH', message: 'Invalid application token hash', objectType: 'KalturaAPIException', args: [] });
    expect(badId.json()).toMatchObject({ code: 'APP_TOKEN_ID_NOT_FOUND', args: { ID: '0_nope' } });
    expect((noKs.json() as { code: string }).code).toBe('SERVICE_FORBIDDEN');
  });
});

describe('unknown services and actions', () => {
  it('answers SERVICE_DOES_NOT_EXISTS and ACTION_DOES_NOT_EXISTS', async () => {
    const ks = await adminKs(sim);
    const svc = await callForm(sim, 'nosuch', 'list', { ks });
    const act = await callForm(sim, 'report', 'nosuch', { ks });
    expect(svc.json()).toMatchObject({ code: 'SERVICE_DOES_NOT_EXISTS', args: { SRV_NAME: 'nosuch' } });
    expect(act.json()).toMatchObject({ code: 'ACTION_DOES_NOT_EXISTS', args: { ACTION_NAME: 'nosuch', SERVICE_NAME: 'report' } });
  });
});
