import { readFileSync } from 'node:fs';
import { ConfigError } from './load.js';

/** Where a secret comes from: an environment variable or a file, as named in the config (`*_env` / `*_file`). */
export interface SecretRef {
  env?: string | undefined;
  file?: string | undefined;
}

/**
 * Reads a referenced secret. The error names the config path and the variable or file, never the value.
 * Trailing newlines in files are trimmed (editors add them).
 */
export function readSecret(ref: SecretRef, configPath: string, env: NodeJS.ProcessEnv): string {
  if (ref.env) {
    const value = env[ref.env];
    if (!value) throw new ConfigError('environment', [`${configPath}: environment variable ${ref.env} is not set`]);
    return value;
  }
  if (ref.file) {
    try {
      return readFileSync(ref.file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError('environment', [`${configPath}: cannot read ${ref.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
    }
  }
  throw new ConfigError('environment', [`${configPath}: no secret reference`]);
}
