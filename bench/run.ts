/**
 * `npm run bench` — runs every `bench/*.bench.ts` module (or those named on the command line),
 * prints their tables and targets, and writes `.bench-out/results.json`.
 * Every figure is a ratio against a baseline measured in the same process run, so a noisy
 * machine moves both sides alike. `--quick` shrinks sizes for a smoke run.
 */
import { readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchModule, BenchResult } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

function printTable(rows: ReadonlyArray<Record<string, string | number>>): void {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]!);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k] ?? '').length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(keys));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(keys.map((k) => String(r[k] ?? ''))));
}

const all: BenchResult[] = [];
let failed = 0;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
  const results = await mod.run({ quick });
  for (const result of results) {
    all.push(result);
    console.log(`\n## ${result.title}`);
    printTable(result.rows);
    for (const t of result.targets) {
      if (!t.pass) failed++;
      console.log(`  ${t.pass ? 'PASS' : 'MISS'}  ${t.target}: ${t.measured}`);
    }
  }
}
mkdirSync(join(here, '..', '.bench-out'), { recursive: true });
writeFileSync(join(here, '..', '.bench-out', 'results.json'), JSON.stringify(all, null, 2));
console.log(`\n${all.reduce((n, r) => n + r.targets.length, 0)} targets, ${failed} missed. Results: .bench-out/results.json`);
