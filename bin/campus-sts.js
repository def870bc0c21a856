#!/usr/bin/env node
// The `campus-sts` command. Runs the compiled CLI (built by `npm ci` via the prepare script, or `npm run build`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/run.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('campus-sts: not built yet; run `npm run build` in the campus-sts folder');
  process.exit(2);
}
await import(entry.href);
