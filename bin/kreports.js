#!/usr/bin/env node
// kreports: the project's command line (docs/cli.md). Runs the TypeScript sources through tsx.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(`kreports: needs Node 22 or newer (this is ${process.version}). Run it as "npx kreports ..." or "npm start" inside the project: they use the project's Node 22.\n`);
  process.exit(2);
}
const { register } = await import('tsx/esm/api');
register();
await import(new URL('../cli/main.ts', import.meta.url).href);
