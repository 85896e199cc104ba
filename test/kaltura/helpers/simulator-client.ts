/** Starts the simulator and a client on it; the client gets test-friendly retry delays. */
import { startSimulator } from '../../../simulator/index.js';
import type { Simulator, SimulatorOptions } from '../../../simulator/index.js';
import { createKalturaClient, type KalturaClient, type KalturaClientOptions } from '../../../shared/kaltura/kaltura-client.js';

export async function simulatorWithClient(
  simOptions: SimulatorOptions = {},
  clientOptions: Partial<KalturaClientOptions> = {},
): Promise<{ sim: Simulator; client: KalturaClient; close(): Promise<void> }> {
  const sim = await startSimulator(simOptions);
  const client = createKalturaClient({
    serviceUrl: sim.serviceUrl,
    reportsUrl: sim.reportsUrl,
    partnerId: sim.partnerId,
    adminSecret: sim.adminSecret,
    retryBaseDelayMs: 5,
    timeoutMs: 3000,
    ...clientOptions,
  });
  return {
    sim,
    client,
    close: async () => {
      await client.close();
      await sim.close();
    },
  };
}

export function countCalls(sim: Simulator, service: string, action: string): number {
  return sim.requests.filter((r) => r.service.toLowerCase() === service.toLowerCase() && r.action.toLowerCase() === action.toLowerCase()).length;
}

/** A window of June 2025 (unix seconds) used across tests. */
export const JUNE_2025 = { fromDate: 1748736000, toDate: 1751327999, timeZoneOffset: 0, interval: 'days' as const };
