#!/usr/bin/env node
/**
 * `npm run synth`: synthesizes the CloudFormation template offline (no AWS credentials, no
 * Docker) with the project's own aws-cdk CLI, quietly, then says where the template is.
 * Extra arguments go to `cdk synth` (e.g. `npm run synth -- -c kalturaPartnerId=123`,
 * `-o other-dir`). A bad configuration file stops it with the same lines as
 * `kreports validate-config`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cdk = join(root, 'node_modules', 'aws-cdk', 'bin', 'cdk');
const args = process.argv.slice(2);
const outIndex = args.findIndex((a) => a === '-o' || a === '--output' || a.startsWith('--output='));
const outdir =
  outIndex < 0 ? 'cdk.out' : args[outIndex].startsWith('--output=') ? args[outIndex].slice('--output='.length) : (args[outIndex + 1] ?? 'cdk.out');
const started = Date.now();
const result = spawnSync(process.execPath, [cdk, 'synth', '--quiet', '--no-notices', '--ci', ...(outIndex < 0 ? ['--output', outdir] : []), ...args], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
});
if (result.error) {
  process.stderr.write(`synth: cannot run the CDK CLI (${result.error.message}). Run npm ci first.\n`);
  process.exit(1);
}
if (result.status !== 0) {
  process.stderr.write('synth: failed (see the lines above).\n');
  process.exit(result.status ?? 1);
}
const assembly = resolve(root, outdir);
const manifestFile = join(assembly, 'manifest.json');
const templates = existsSync(manifestFile)
  ? Object.entries(JSON.parse(readFileSync(manifestFile, 'utf8')).artifacts ?? {})
      .filter(([, a]) => a.type === 'aws:cloudformation:stack')
      .map(([name, a]) => ({ name, file: join(assembly, a.properties.templateFile) }))
  : [];
const seconds = ((Date.now() - started) / 1000).toFixed(1);
for (const t of templates) process.stdout.write(`Synthesized stack ${t.name} in ${seconds} s: ${relative(process.cwd(), t.file) || t.file}\n`);
process.stdout.write('Deploy it with: npm run deploy   (docs/deploy.md)\n');
