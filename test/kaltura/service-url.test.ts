/**
 * KALTURA_SERVICE_URL as users write it (SPEC §3): the bare host as the official clients take it, or
 * with `/api_v3` as the guides write it, each with or without a trailing `/`. Checked on the
 * normaliser and, for real, against the simulator (which serves only under `/api_v3`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { createKalturaClient, kalturaClientOptionsFromEnv } from '../../shared/kaltura/kaltura-client.js';
import { normalizeServiceUrl } from '../../shared/kaltura/service-url.js';
import { KalturaConfigError } from '../../shared/kaltura/errors.js';
import { ValidationError } from '../../shared/errors/base-error.js';
import { JUNE_2025 } from './helpers/simulator-client.js';

describe('normalizeServiceUrl', () => {
  it.each([
    ['https://www.kaltura.com', 'https://www.kaltura.com/api_v3'],
    ['https://www.kaltura.com/', 'https://www.kaltura.com/api_v3'],
    ['https://www.kaltura.com/api_v3', 'https://www.kaltura.com/api_v3'],
    ['https://www.kaltura.com/api_v3/', 'https://www.kaltura.com/api_v3'],
    ['https://www.kaltura.com/api_v3/index.php', 'https://www.kaltura.com/api_v3'],
    ['  https://www.kaltura.com//  ', 'https://www.kaltura.com/api_v3'],
    ['HTTPS://WWW.Kaltura.com/API_V3', 'https://www.kaltura.com/API_V3'],
    ['http://kaltura.example.org:8080/kaltura', 'http://kaltura.example.org:8080/kaltura/api_v3'],
    ['https://www.kaltura.com/api_v3?x=1#top', 'https://www.kaltura.com/api_v3'],
  ])('reads %s as %s', (input, expected) => {
    expect(normalizeServiceUrl(input)).toBe(expected);
  });

  it.each(['www.kaltura.com', 'ftp://www.kaltura.com', 'https://user:pw@www.kaltura.com'])('refuses %s with advice', (input) => {
    expect(() => normalizeServiceUrl(input)).toThrow(KalturaConfigError);
    expect(() => normalizeServiceUrl(input)).toThrow(/KALTURA_SERVICE_URL/);
  });

  it('turns a refused URL from the environment into a settings error (exit 2), without echoing a password', () => {
    // Act
    const read = () => kalturaClientOptionsFromEnv({ KALTURA_SERVICE_URL: 'https://user:hunter22@www.kaltura.com', KALTURA_PARTNER_ID: '1', KALTURA_ADMIN_SECRET: 'x' });
    // Assess
    expect(read).toThrow(ValidationError);
    expect(read).not.toThrow(/hunter22/);
  });
});

describe('the client against the simulator, with each form of the URL', () => {
  let sim: Simulator;
  let origin: string;
  beforeAll(async () => {
    sim = await startSimulator();
    origin = new URL(sim.serviceUrl).origin;
  });
  afterAll(() => sim.close());

  it.each([
    ['bare host', (o: string) => o],
    ['bare host and /', (o: string) => `${o}/`],
    ['with /api_v3', (o: string) => `${o}/api_v3`],
    ['with /api_v3/', (o: string) => `${o}/api_v3/`],
  ])('works %s, from the environment as from code', async (_label, form) => {
    // Prepare
    const env = { KALTURA_SERVICE_URL: form(origin), KALTURA_PARTNER_ID: String(sim.partnerId), KALTURA_ADMIN_SECRET: sim.adminSecret };
    const options = kalturaClientOptionsFromEnv(env);
    const fromEnv = createKalturaClient({ ...options, retryBaseDelayMs: 5 });
    const fromCode = createKalturaClient({ serviceUrl: form(origin), partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5 });
    try {
      // Act
      const [a, b] = await Promise.all([fromEnv, fromCode].map((c) => c.getTotal({ reportType: 1, filter: { ...JUNE_2025, entryIdIn: ['1_url'] } })));
      // Assess
      expect(options.serviceUrl).toBe(`${origin}/api_v3`);
      expect(a!.values.count_plays).toMatch(/^\d+$/);
      expect(b).toEqual(a);
    } finally {
      await Promise.all([fromEnv.close(), fromCode.close()]);
    }
  });
});
