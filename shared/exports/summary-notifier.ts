/**
 * Sends a weekly summary's headline to the destinations its job names, through the alert engine's
 * destinations (no alert state: one message per run). Every destination is tried; a failed one is
 * logged by name (never its URL) and the call fails at the end, naming them.
 *
 * The engine is given as a function so the export Lambda can load the alerting code only on the first
 * summary that names destinations; the local runtime passes the engine it already has.
 */
import type { AlertEngine } from '../alerts/create-alert-engine.js';
import type { Logger } from '../logging/logger.js';
import type { SummaryNotifier } from './summary.js';

export function createSummaryNotifier(engine: () => Pick<AlertEngine, 'destination'> | Promise<Pick<AlertEngine, 'destination'>>, logger: Logger): SummaryNotifier {
  return async (destinations, message) => {
    const alerts = await engine();
    const failed: string[] = [];
    for (const name of destinations) {
      try {
        await alerts.destination(name).send(message);
      } catch (error) {
        failed.push(name);
        logger.warn('summary not delivered', { destination: name, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    if (failed.length > 0) throw new Error(`summary not delivered to ${failed.join(', ')}`);
  };
}
