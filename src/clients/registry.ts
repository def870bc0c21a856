import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import { readSecret } from '../config/secrets.js';
import { hashClientSecret, parseSecretHash, SecretHashError } from './secret-hash.js';

type ParsedHash = ReturnType<typeof parseSecretHash>;

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** A confidential client as the token endpoint sees it. Secrets exist only as scrypt hashes. */
export interface Client {
  id: string;
  auth:
    | { method: 'client_secret_basic' | 'client_secret_post'; secretHash: ParsedHash }
    | { method: 'private_key_jwt'; jwks: JSONWebKeySet };
  audiences: ReadonlySet<string>;
  /** RFC 9068 §3: the audience when a request names none (`default_audience`, else the only audience). */
  defaultAudience: string | undefined;
  scopes: ReadonlySet<string>;
  grantTypes: ReadonlySet<string>;
  maxTtlSeconds: number | undefined;
  /** Who may act for this client's own tokens (RFC 8693 §4.4). */
  mayAct: { sub: string } | undefined;
  /** Claims of a SAML subject released into this client's tokens. */
  release: readonly string[];
  /** Upstreams whose access token this client may receive by token exchange. */
  upstreamTokenRelease: ReadonlySet<string>;
}

export type ClientRegistry = ReadonlyMap<string, Client>;

/** JWK members that only private or symmetric keys carry (RFC 7518 §6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Builds the clients from config; secrets referenced by env/file are hashed here and the plaintext dropped. */
export async function buildClientRegistry(config: Config, env: NodeJS.ProcessEnv): Promise<ClientRegistry> {
  const clients = new Map<string, Client>();
  for (const [i, c] of config.clients.entries()) {
    const path = `clients[${i}].auth`;
    const common = {
      id: c.id,
      audiences: new Set(c.audiences),
      defaultAudience: c.default_audience ?? (c.audiences.length === 1 ? c.audiences[0] : undefined),
      scopes: new Set(c.scopes),
      grantTypes: new Set(c.grant_types),
      maxTtlSeconds: c.max_ttl_seconds,
      mayAct: c.may_act,
      release: c.release,
      upstreamTokenRelease: new Set(c.upstream_token_release),
    };
    if (c.auth.method === 'private_key_jwt') {
      clients.set(c.id, { ...common, auth: { method: 'private_key_jwt', jwks: readJwks(c.auth, path) } });
      continue;
    }
    const stored =
      c.auth.secret_hash ?? (await hashClientSecret(readSecret({ env: c.auth.secret_env, file: c.auth.secret_file }, path, env)));
    try {
      clients.set(c.id, { ...common, auth: { method: c.auth.method, secretHash: parseSecretHash(stored) } });
    } catch (err) {
      if (err instanceof SecretHashError) throw new ConfigError('config', [`${path}.secret_hash: ${err.message}`]);
      throw err;
    }
  }
  return clients;
}

function readJwks(auth: { jwks?: { keys: Record<string, unknown>[] } | undefined; jwks_file?: string | undefined }, path: string): JSONWebKeySet {
  let jwks: unknown = auth.jwks;
  if (auth.jwks_file) {
    try {
      jwks = JSON.parse(readFileSync(auth.jwks_file, 'utf8'));
    } catch (err) {
      throw new ConfigError('config', [`${path}.jwks_file: cannot read a JWK Set from ${auth.jwks_file} (${(err as Error).message})`]);
    }
  }
  const keys = (jwks as { keys?: unknown } | undefined)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new ConfigError('config', [`${path}.jwks: expected {"keys": [...]} with at least one key`]);
  keys.forEach((k: unknown, j) => {
    if (typeof k !== 'object' || k === null || typeof (k as { kty?: unknown }).kty !== 'string') {
      throw new ConfigError('config', [`${path}.jwks.keys[${j}]: expected a JWK with "kty"`]);
    }
    const found = PRIVATE_MEMBERS.filter((m) => m in k);
    if (found.length > 0) {
      throw new ConfigError('config', [`${path}.jwks.keys[${j}]: a private or symmetric key (${found.join(', ')}); give the client's public keys only`]);
    }
  });
  return { keys } as JSONWebKeySet;
}
