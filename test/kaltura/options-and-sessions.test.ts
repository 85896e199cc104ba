/**
 * Client options from the environment (SPEC §3), session lifetime handling against the simulator,
 * and the Reports Microservice's HTTP statuses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors/base-error.js';
import { createKalturaClient, kalturaClientOptionsFromEnv, type KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { KalturaApiError, KalturaConfigError } from '../../shared/kaltura/errors.js';
import { tokenHash } from '../../shared/kaltura/session.js';
import { countCalls, JUNE_2025, simulatorWithClient } from './helpers/simulator-client.js';
import { json, startTinyServer, type TinyServer } from './helpers/tiny-server.js';

describe('kalturaClientOptionsFromEnv', () => {
  it('reads the SPEC §3 variables', () => {
    const options = kalturaClientOptionsFromEnv({
      KALTURA_SERVICE_URL: 'https://www.kaltura.com/api_v3',
      KALTURA_PARTNER_ID: '123456',
      KALTURA_ADMIN_SECRET: 'secret-value',
      KALTURA_REPORTS_URL: 'https://reports.nvp1.ovp.kaltura.com',
      KALTURA_PRIVILEGES: 'virtualeventid:5, list:*',
      KALTURA_TIMEOUT_MS: '5000',
    });
    expect(options).toMatchObject({ serviceUrl: 'https://www.kaltura.com/api_v3', partnerId: 123456, adminSecret: 'secret-value', reportsUrl: 'https://reports.nvp1.ovp.kaltura.com', privileges: ['virtualeventid:5', 'list:*'], timeoutMs: 5000 });
    expect(options.appToken).toBeUndefined();
  });

  it('prefers an app token when both are set, and ignores empty values', () => {
    const options = kalturaClientOptionsFromEnv({ KALTURA_SERVICE_URL: 'http://127.0.0.1:1/api_v3', KALTURA_PARTNER_ID: '1', KALTURA_ADMIN_SECRET: '', KALTURA_APP_TOKEN_ID: '0_tok', KALTURA_APP_TOKEN: 'abc', KALTURA_APP_TOKEN_HASH_TYPE: 'SHA256' });
    expect(options.appToken).toEqual({ id: '0_tok', token: 'abc', hashType: 'SHA256' });
    expect(options.adminSecret).toBeUndefined();
  });

  it('names the missing or malformed variable, never its value', () => {
    const error = (() => {
      try {
        kalturaClientOptionsFromEnv({ KALTURA_SERVICE_URL: 'not a url', KALTURA_PARTNER_ID: 'abc', KALTURA_ADMIN_SECRET: 'supersecret' });
      } catch (e) {
        return e as ValidationError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error!.message).toContain('KALTURA_SERVICE_URL');
    expect(error!.message).toContain('KALTURA_PARTNER_ID');
    expect(error!.message).not.toContain('supersecret');
    expect(() => kalturaClientOptionsFromEnv({ KALTURA_SERVICE_URL: 'http://x/api_v3', KALTURA_PARTNER_ID: '1' })).toThrow(/KALTURA_ADMIN_SECRET/);
    expect(() => kalturaClientOptionsFromEnv({ KALTURA_SERVICE_URL: 'http://x/api_v3', KALTURA_PARTNER_ID: '1', KALTURA_APP_TOKEN_ID: 'x' })).toThrow(/KALTURA_APP_TOKEN/);
  });

  it('refuses a client without credentials', () => {
    expect(() => createKalturaClient({ serviceUrl: 'http://127.0.0.1:1/api_v3', partnerId: 1 })).toThrow(KalturaConfigError);
  });
});

describe('tokenHash', () => {
  it('is the lowercase hex hash of widget KS + token (WIRE_FACTS §5.4)', () => {
    // sha1("abc") = a9993e36…; here widgetKs "a" + token "bc".
    expect(tokenHash('SHA1', 'a', 'bc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(tokenHash('MD5', 'a', 'bc')).toBe('900150983cd24fb0d6963f7d28e17f72');
  });
});

describe('session lifetime', () => {
  let done: (() => Promise<void>) | undefined;
  afterEach(async () => done?.());

  it('renews the KS shortly before it expires, without waiting for INVALID_KS', async () => {
    // Prepare: a 62 s session is renewed 60 s early, i.e. after 2 s.
    const env = await simulatorWithClient({}, { sessionExpirySeconds: 62 });
    done = env.close;
    await env.client.getTotal({ reportType: 1, filter: JUNE_2025 });
    await env.client.getTotal({ reportType: 1, filter: JUNE_2025 });
    expect(countCalls(env.sim, 'session', 'start')).toBe(1);
    // Act
    await new Promise((r) => setTimeout(r, 2200));
    await env.client.getTotal({ reportType: 1, filter: JUNE_2025 });
    // Assess: a new session, and no call was rejected on the way
    expect(countCalls(env.sim, 'session', 'start')).toBe(2);
    expect(countCalls(env.sim, 'report', 'getTotal')).toBe(3);
  });

  it('recovers when the server grants a shorter KS than requested (clamped expiry -> INVALID_KS -> renewed)', async () => {
    const env = await simulatorWithClient({ ksMaxExpirySeconds: 2 });
    done = env.close;
    await env.client.getTotal({ reportType: 1, filter: JUNE_2025 });
    await new Promise((r) => setTimeout(r, 3100));
    await expect(env.client.getTotal({ reportType: 1, filter: JUNE_2025 })).resolves.toBeDefined();
    expect(countCalls(env.sim, 'session', 'start')).toBe(2);
  });

  it('keeps one KS per privilege set', async () => {
    const env = await simulatorWithClient({ microserviceJobMs: 10 });
    done = env.close;
    await env.client.getTotal({ reportType: 1, filter: JUNE_2025 });
    const job = { reportName: 'pollsActivity', reportParameters: { virtual_event_ids: ['9'] }, privileges: ['virtualeventid:9'] };
    await env.client.microserviceGenerate(job);
    await env.client.microserviceGenerate(job);
    const starts = env.sim.requests.filter((r) => r.service === 'session' && r.action === 'start');
    expect(starts).toHaveLength(2);
    expect(starts[1]!.params.privileges).toBe('virtualeventid:9');
  });
});

describe('Reports Microservice HTTP statuses', () => {
  let server: TinyServer | undefined;
  let client: KalturaClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
  });

  it('treats 401 as a rejected KS: renews the session once, then succeeds', async () => {
    let rejected = false;
    server = await startTinyServer((req, res) => {
      if (req.path.endsWith('/action/start')) return json(res, `djJ8${'A'.repeat(40)}${server!.requests.length}`);
      if (!rejected) {
        rejected = true;
        res.writeHead(401).end();
        return;
      }
      json(res, { sessionId: 'abc' });
    });
    client = createKalturaClient({ serviceUrl: `${server.url}/api_v3`, reportsUrl: server.url, partnerId: 1, adminSecret: 'x'.repeat(32), retryBaseDelayMs: 1 });
    await expect(client.microserviceGenerate({ reportName: 'registration' })).resolves.toEqual({ sessionId: 'abc' });
    expect(server.requests.filter((r) => r.path.endsWith('/action/start'))).toHaveLength(2);
    expect(server.requests.find((r) => r.path === '/api/v1/report/generate')!.headers.authorization).toMatch(/^Bearer djJ8/);
  });

  it('treats 403 as permanent and 500 as retryable', async () => {
    let n = 0;
    server = await startTinyServer((req, res) => {
      if (req.path.endsWith('/action/start')) return json(res, `djJ8${'A'.repeat(40)}`);
      n++;
      res.writeHead(req.path.endsWith('generate') ? 403 : n < 3 ? 500 : 200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'pending' }));
    });
    client = createKalturaClient({ serviceUrl: `${server.url}/api_v3`, reportsUrl: server.url, partnerId: 1, adminSecret: 'x'.repeat(32), retryBaseDelayMs: 1 });
    const error = await client.microserviceGenerate({ reportName: 'registration' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KalturaApiError);
    expect(error).toMatchObject({ code: 'SERVICE_FORBIDDEN', retryable: false });
    await expect(client.microserviceStatus('abc')).resolves.toEqual({ status: 'pending' });
  });
});

describe('getKs', () => {
  it('hands out the cached session KS (for Bearer services) without starting a second session', async () => {
    const env = await simulatorWithClient({}, { appToken: undefined });
    try {
      const ks = await env.client.getKs!();
      await env.client.getTotal({ reportType: 1, filter: JUNE_2025 });
      expect(ks).toMatch(/^djJ8/);
      expect(await env.client.getKs!()).toBe(ks);
      expect(countCalls(env.sim, 'session', 'start')).toBe(1);
    } finally {
      await env.close();
    }
  });
});
