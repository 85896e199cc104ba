/**
 * Starts the Kaltura simulator standalone: `npx tsx simulator/main.ts [--port N] [--host H]` (default port 8787; 0 = random).
 * Environment: SIMULATOR_PORT, SIMULATOR_HOST, SIMULATOR_BIG_ROWS, SIMULATOR_JOB_MS.
 */
import { startSimulator } from './index.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const port = Number(flag('port') ?? process.env.SIMULATOR_PORT ?? 8787);
const host = flag('host') ?? process.env.SIMULATOR_HOST ?? '127.0.0.1';
const bigRowCount = process.env.SIMULATOR_BIG_ROWS ? Number(process.env.SIMULATOR_BIG_ROWS) : undefined;
const microserviceJobMs = process.env.SIMULATOR_JOB_MS ? Number(process.env.SIMULATOR_JOB_MS) : undefined;

const sim = await startSimulator({ host, port, ...(bigRowCount ? { bigRowCount } : {}), ...(microserviceJobMs !== undefined ? { microserviceJobMs } : {}) });
const lines = [
  'Kaltura simulator running',
  `  API v3 service URL : ${sim.serviceUrl}`,
  `  Reports URL        : ${sim.reportsUrl}`,
  `  Partner id         : ${sim.partnerId}`,
  `  Admin secret       : ${sim.adminSecret}   (simulator-only value)`,
  `  App token          : id ${sim.appToken.id}, token ${sim.appToken.token}, ${sim.appToken.hashType}`,
  '',
  'Try:',
  `  curl -s -X POST '${sim.serviceUrl}/service/session/action/start' -d format=1 -d type=2 -d partnerId=${sim.partnerId} -d secret=${sim.adminSecret}`,
  'Entry ids containing "quiet" have no plays, "unhealthy" have critical health beacons, "big" have huge tables.',
  'Ctrl+C to stop.',
];
process.stdout.write(lines.join('\n') + '\n');

const stop = (): void => {
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
