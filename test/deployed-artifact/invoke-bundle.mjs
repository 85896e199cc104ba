#!/usr/bin/env node
/**
 * A minimal Lambda Node.js runtime for one execution environment: imports a bundle as the runtime
 * does (its init), then calls `handler(event, context)` once per event, in order (warm invocations
 * after the first), and writes what each returned — serialised through JSON like Lambda's answer —
 * to a results file. Handlers log to stdout/stderr as in Lambda, so results do not go there.
 *
 *   node invoke-bundle.mjs <bundle file> <export name> <events.json> <results.json>
 *
 * events.json: `{ "events": [ ... ], "functionName"?: string, "memoryLimitInMB"?: number, "timeoutSeconds"?: number }`.
 * results.json: `{ initCpuMs, initWallMs, invocations: [{ ok, value | error, cpuMs, wallMs }] }`, where
 * init is measured as a cold start pays it: CPU time of the whole process (user + system) and wall
 * time since the process started, until the import resolved; each invocation's CPU and wall time
 * are its own. `nodeBundledUndiciLoaded` says whether Node's own copy of undici was loaded by the
 * end (an ESM import of `node:http` does that on Node 22, 16–25 ms of our cold starts; the bundles
 * avoid it, see infra/bundling-shims/node-http.cjs). Used by test/deployed-artifact and by
 * bench/bundles.bench.ts.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { nodeBundledUndiciLoaded } from './node-internals.mjs';

const [bundleFile, exportName, eventsFile, resultsFile] = process.argv.slice(2);
if (!bundleFile || !exportName || !eventsFile || !resultsFile) {
  process.stderr.write('usage: invoke-bundle.mjs <bundle file> <export name> <events.json> <results.json>\n');
  process.exit(2);
}
const input = JSON.parse(readFileSync(eventsFile, 'utf8'));

const cpuNow = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

let mod;
try {
  mod = await import(pathToFileURL(bundleFile).href);
} catch (error) {
  // Lambda reports an init error (Runtime.ImportModuleError / the module's own error) and never invokes.
  writeFileSync(resultsFile, JSON.stringify({ initError: { name: error?.name ?? 'Error', message: String(error?.message ?? error) } }));
  process.exit(0);
}
const initCpuMs = cpuNow();
const initWallMs = performance.now();
const handler = mod[exportName];
if (typeof handler !== 'function') {
  writeFileSync(resultsFile, JSON.stringify({ initError: { name: 'Runtime.HandlerNotFound', message: `${bundleFile} does not export ${exportName}()` } }));
  process.exit(0);
}

const functionName = input.functionName ?? 'deployed-artifact';
const invocations = [];
for (const event of input.events) {
  const deadline = Date.now() + 1000 * (input.timeoutSeconds ?? 30);
  const context = {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:111122223333:function:${functionName}`,
    memoryLimitInMB: String(input.memoryLimitInMB ?? 512),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const cpu0 = cpuNow();
  const wall0 = performance.now();
  try {
    const value = await handler(event, context);
    const cpuMs = cpuNow() - cpu0;
    const wallMs = performance.now() - wall0;
    invocations.push({ ok: true, value: value === undefined ? null : JSON.parse(JSON.stringify(value)), cpuMs, wallMs });
  } catch (error) {
    invocations.push({ ok: false, error: { name: error?.name ?? 'Error', message: String(error?.message ?? error) }, cpuMs: cpuNow() - cpu0, wallMs: performance.now() - wall0 });
  }
}
writeFileSync(resultsFile, JSON.stringify({ initCpuMs, initWallMs, invocations, nodeBundledUndiciLoaded: nodeBundledUndiciLoaded() }));
// Lambda freezes the environment here; keep-alive sockets would otherwise hold the process open.
process.exit(0);
