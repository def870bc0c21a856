import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { TestService } from './service.js';

/** Writes the service's (validated) config as YAML, so CLI verbs can open the same database. */
export function writeConfigFile(s: TestService): string {
  const path = join(s.dir, 'campus-sts.yaml');
  writeFileSync(path, stringify(s.config));
  return path;
}

export async function captureCli(run: (io: { env: NodeJS.ProcessEnv; out(l: string): void; err(l: string): void }) => Promise<number>, env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run({ env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
