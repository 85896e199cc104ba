import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { adminKs, callForm, callJson } from './helpers.js';

let sim: Simulator;
let ks: string;
const S = 'eventnotification_eventnotificationtemplate';
beforeAll(async () => {
  sim = await startSimulator();
  ks = await adminKs(sim);
});
afterAll(async () => {
  await sim.close();
});

type Template = { id: number; partnerId: number; systemName?: string; status: number; url?: string; data?: Record<string, unknown>; eventType: number; eventObjectType: number | string; objectType: string };

describe('eventNotificationTemplate', () => {
  it('lists the partner-0 system templates by systemName', async () => {
    const r = (await callForm(sim, S, 'list', { ks, filter: { objectType: 'KalturaEventNotificationTemplateFilter', systemNameEqual: 'HTTP_ENTRY_STATUS_EQUALS' } })).json() as { objects: Template[]; totalCount: number; objectType: string };
    expect(r.objectType).toBe('KalturaEventNotificationTemplateListResponse');
    expect(r.totalCount).toBe(1);
    expect(r.objects[0]).toMatchObject({ id: 101, partnerId: 0, systemName: 'HTTP_ENTRY_STATUS_EQUALS', eventType: 3, eventObjectType: 1, objectType: 'KalturaHttpNotificationTemplate' });
    const live = (await callForm(sim, S, 'list', { ks, filter: { systemNameEqual: 'EXPLICIT_LIVE_PUSH_NOTIFICATIONS' } })).json() as { objects: Template[] };
    expect(live.objects[0]).toMatchObject({ eventType: 3, eventObjectType: 38 });
  });

  it('clone -> update -> updateStatus keeps state; list by partner shows it', async () => {
    // Act: the JSON shape the official client sends.
    const cloned = (
      await callJson(sim, `/service/${S}/action/clone`, {
        ks,
        format: 1,
        id: 101,
        eventNotificationTemplate: {
          objectType: 'KalturaHttpNotificationTemplate',
          name: 'Reporting webhook',
          systemName: 'REPORTING_ENTRY_READY',
          url: 'https://hooks.example.com/webhooks/kaltura',
          method: 2,
          data: { objectType: 'KalturaHttpNotificationObjectData', apiObjectType: 'KalturaBaseEntry', format: 1, ignoreNull: true, code: '$scope->getObject()' },
          signSecret: 'ignored-unknown-field',
        },
      })
    ).json() as Template & Record<string, unknown>;
    const updated = (await callForm(sim, S, 'update', { ks, id: cloned.id, eventNotificationTemplate: { objectType: 'KalturaHttpNotificationTemplate', url: 'https://hooks.example.com/v2' } })).json() as Template;
    const active = (await callForm(sim, S, 'updateStatus', { ks, id: cloned.id, status: 2 })).json() as Template;
    const listed = (await callForm(sim, S, 'list', { ks, filter: { partnerIdEqual: sim.partnerId } })).json() as { objects: Template[] };
    // Assess
    expect(cloned.id).not.toBe(101);
    expect(cloned).toMatchObject({ partnerId: sim.partnerId, systemName: 'REPORTING_ENTRY_READY', url: 'https://hooks.example.com/webhooks/kaltura', status: 1, eventType: 3, eventObjectType: 1 });
    expect(cloned.data).toMatchObject({ objectType: 'KalturaHttpNotificationObjectData', format: 1 });
    expect(cloned.signSecret).toBeUndefined();
    expect(updated.url).toBe('https://hooks.example.com/v2');
    expect(active.status).toBe(2);
    expect(listed.objects.map((t) => t.id)).toContain(cloned.id);
    const got = (await callForm(sim, S, 'get', { ks, id: cloned.id })).json() as Template;
    expect(got).toMatchObject({ id: cloned.id, status: 2, url: 'https://hooks.example.com/v2' });
  });

  it('EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND for unknown ids; system templates cannot be updated', async () => {
    const missing = await callForm(sim, S, 'get', { ks, id: 999999 });
    expect(missing.json()).toEqual({ code: 'EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND', message: 'Event notification template id [999999] not found', objectType: 'KalturaAPIException', args: { ID: '999999' } });
    const system = await callForm(sim, S, 'updateStatus', { ks, id: 101, status: 1 });
    expect((system.json() as { code: string }).code).toBe('EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND');
  });

  it('INVALID_ENUM_VALUE for a bad status', async () => {
    const cloned = (await callForm(sim, S, 'clone', { ks, id: 110 })).json() as Template;
    const r = await callForm(sim, S, 'updateStatus', { ks, id: cloned.id, status: 7 });
    expect(r.json()).toMatchObject({ code: 'INVALID_ENUM_VALUE', args: { ENUM_VAL: '7', PARAM_NAME: 'status' } });
  });
});
