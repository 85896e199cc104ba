/**
 * Kaltura simulator: an HTTP server on loopback that speaks the wire format of
 * KALTURA_WIRE_FACTS.md for everything the project uses. See docs/simulator.md.
 */
import { SimState, type SimConfig } from './context.js';
import { csvActions } from './csv-actions.js';
import { liveActions } from './live-actions.js';
import { directoryActions } from './directory-actions.js';
import { createMicroserviceHandler } from './microservice.js';
import { buildNotification, postNotification } from './notifications.js';
import { reportActions } from './report-actions.js';
import { SimServer, type ActionTable } from './server.js';
import { sessionActions } from './session-actions.js';
import { templateActions } from './template-actions.js';
import type { NotificationOptions, Simulator, SimulatorFault, SimulatorOptions } from './types.js';

export type { FaultMatch, NotificationOptions, PartnerConcurrency, Simulator, SimulatorFault, SimulatorOptions, SimulatorRequest } from './types.js';

export const DEFAULT_ADMIN_SECRET = '5a1e0c3b9d7f4e2a8c6b0d1f3e5a7c9b';
export const DEFAULT_USER_SECRET = 'b9c7a5e3f1d0b6c8a2e4f7d9b3c0e1a5';
export const DEFAULT_APP_TOKEN = { id: '0_simtoken', token: 'c0ffee00d15ea5e5deadbeef0badf00d', hashType: 'SHA256' as const };

const ACTIONS: ActionTable = { ...sessionActions, ...reportActions, ...csvActions, ...liveActions, ...templateActions, ...directoryActions };
const SERVICES = new Set(Object.keys(ACTIONS).map((k) => k.slice(0, k.indexOf('.'))));

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const config: SimConfig = {
    partnerId: options.partnerId ?? 4242,
    adminSecret: options.adminSecret ?? DEFAULT_ADMIN_SECRET,
    userSecret: options.userSecret ?? DEFAULT_USER_SECRET,
    ksMaxExpirySeconds: options.ksMaxExpirySeconds ?? 86400,
    bigRowCount: options.bigRowCount ?? 100_000,
    microserviceJobMs: options.microserviceJobMs ?? 3000,
    appToken: { ...DEFAULT_APP_TOKEN },
  };
  const state = new SimState(config);
  let server: SimServer | undefined;
  const microservice = createMicroserviceHandler((res, file, log) => {
    if (!server) throw new Error('simulator not started');
    return server.sendFile(res, file, log);
  });
  server = new SimServer(state, ACTIONS, SERVICES, microservice);
  await server.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  const origin = server.origin;
  const running = server;

  const simulator: Simulator = {
    serviceUrl: `${origin}/api_v3`,
    reportsUrl: origin,
    partnerId: config.partnerId,
    adminSecret: config.adminSecret,
    userSecret: config.userSecret,
    appToken: { ...config.appToken },
    get requests() {
      return state.requests;
    },
    clearRequests() {
      state.requests.length = 0;
    },
    injectFault(fault: SimulatorFault) {
      if (fault.kind === 'invalid-ks-after') {
        state.revokeAfter(fault.calls, fault.later);
        return;
      }
      if (fault.kind === 'reject-for') {
        state.rejection = { until: Date.now() + fault.seconds * 1000, status: fault.status, ...(fault.match ? { match: fault.match } : {}) };
        return;
      }
      const times = fault.times ?? 1;
      if (times > 0) state.faults.push({ fault, remaining: times });
    },
    clearFaults() {
      state.faults.length = 0;
      state.revoke = undefined;
      state.rejection = undefined;
    },
    concurrency() {
      return Object.fromEntries([...state.concurrency].map(([partner, c]) => [partner, { ...c }]));
    },
    resetConcurrency() {
      for (const c of state.concurrency.values()) {
        c.peak = c.inFlight;
        c.total = 0;
      }
    },
    buildNotification(notification: NotificationOptions) {
      return buildNotification(config.partnerId, config.adminSecret, notification);
    },
    sendNotification(url: string, notification: NotificationOptions) {
      return postNotification(url, buildNotification(config.partnerId, config.adminSecret, notification));
    },
    close() {
      return running.close();
    },
  };
  running.admin = simulator;
  return simulator;
}
