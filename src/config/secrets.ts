import { readFileSync } from 'node:fs';
import { seedRef } from './upstream.js';
import { ConfigError } from './load.js';
import type { Config } from './schema.js';

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

/** Every secret the config references, with the config path its errors name (the one list of them). */
function secretRefs(config: Config): [string, SecretRef][] {
  const mk = config.master_key;
  const refs: [string, SecretRef][] = [['master_key', { env: mk.key_env, file: mk.key_file }]];
  if (mk.previous_key_env || mk.previous_key_file) refs.push(['master_key.previous', { env: mk.previous_key_env, file: mk.previous_key_file }]);
  config.clients.forEach((c, i) => {
    if (c.auth.method !== 'private_key_jwt' && !c.auth.secret_hash) refs.push([`clients[${i}].auth`, { env: c.auth.secret_env, file: c.auth.secret_file }]);
  });
  config.upstreams.forEach((u, i) => {
    if (u.grant !== 'static') refs.push([`upstreams[${i}].client_secret`, { env: u.client_secret_env, file: u.client_secret_file }]);
    const seed = seedRef(u);
    if (seed) refs.push([`upstreams[${i}].${u.grant === 'static' ? 'access_token' : 'refresh_token'}`, seed]);
  });
  if (config.upstream_admin) refs.push(['upstream_admin', { env: config.upstream_admin.token_env, file: config.upstream_admin.token_file }]);
  return refs;
}

/**
 * Checks that every referenced secret can be read, before anything is created: one ConfigError naming all the
 * missing ones (an operator fixes them in one go, not one per attempt).
 */
export function checkSecrets(config: Config, env: NodeJS.ProcessEnv): void {
  const issues = secretRefs(config).flatMap(([path, ref]) => {
    try {
      readSecret(ref, path, env);
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.issues;
      throw err;
    }
  });
  if (issues.length > 0) throw new ConfigError('environment', issues);
}
