/**
 * The configuration file each Lambda bundle copies (infra/config-asset.ts) is shared between synths
 * of the same configuration by content hash. Two synths at once (parallel CI jobs, this suite's own
 * workers) must never let a bundle copy a half-written file.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeBundledConfig } from '../../infra/config-asset.js';
import type { ReportingConfig } from '../../shared/config/schema.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/** A configuration-shaped object big enough (~2 MB of JSON) that a truncating write is easy to catch. */
function aBigConfig(): ReportingConfig {
  return { padding: Array.from({ length: 20_000 }, (_, i) => `entry ${i} ${'x'.repeat(80)}`) } as unknown as ReportingConfig;
}

describe('writeBundledConfig', () => {
  it('never exposes a partial file while other processes write the same configuration', async () => {
    // Prepare: the file exists, complete
    const config = aBigConfig();
    const file = writeBundledConfig(config);
    const expected = JSON.stringify(config);
    const writer = [
      `const { writeBundledConfig } = await import(${JSON.stringify(join(ROOT, 'infra', 'config-asset.ts'))});`,
      `const config = { padding: Array.from({ length: 20000 }, (_, i) => 'entry ' + i + ' ' + 'x'.repeat(80)) };`,
      `for (let i = 0; i < 60; i++) writeBundledConfig(config);`,
    ].join('\n');
    // Act: three processes rewrite it while this one reads it
    const writers = [1, 2, 3].map(
      () =>
        new Promise<number | null>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', writer], { cwd: ROOT, stdio: 'ignore' });
          child.on('exit', resolve);
        }),
    );
    let running = true;
    const done = Promise.all(writers).finally(() => (running = false));
    let reads = 0;
    let partial = 0;
    while (running) {
      const text = readFileSync(file, 'utf8');
      reads++;
      try {
        if (JSON.stringify(JSON.parse(text)) !== expected) partial++;
      } catch {
        partial++;
      }
      await new Promise((r) => setImmediate(r));
    }
    // Assess
    expect(await done).toEqual([0, 0, 0]);
    expect(reads).toBeGreaterThan(10);
    expect(partial).toBe(0);
  });
});
