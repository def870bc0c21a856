// The client registry as the token endpoint gets it: built from the validated config, secrets only as scrypt hashes.
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config/load.js';
import { buildClientRegistry } from './registry.js';
import { verifyClientSecret } from './secret-hash.js';

const AUD = 'https://sis.example.edu';
const base = (clients: unknown[]) => ({ issuer: 'https://sts.example.edu', audiences: [{ id: AUD, scopes: ['r', 'w'] }, { id: 'urn:x', scopes: ['x'] }], clients });
const secretClient = (id: string, extra: Record<string, unknown> = {}) => ({ id, auth: { method: 'client_secret_basic', secret_env: 'S' }, audiences: [AUD], scopes: ['r'], ...extra });

function configIssues(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('no ConfigError');
}

describe('client registry: one entry per client id', () => {
  it('refuses two clients with the same id at start, naming the second', () => {
    expect(configIssues(() => parseConfig(base([secretClient('alpha'), secretClient('beta'), secretClient('alpha')])))).toEqual(['clients[2].id: duplicate id "alpha"']);
  });
});

describe('buildClientRegistry', () => {
  it('hashes a referenced secret, drops the plaintext, and defaults the audience to the only one (RFC 9068 §3)', async () => {
    const registry = await buildClientRegistry(parseConfig(base([secretClient('alpha', { may_act: { sub: 'gamma' }, release: ['displayName'] })])), { S: 'alpha-secret' });
    const alpha = registry.get('alpha')!;
    expect(alpha).toEqual({
      id: 'alpha',
      auth: { method: 'client_secret_basic', secretHash: { N: 2 ** 15, r: 8, p: 1, salt: expect.any(Buffer), hash: expect.any(Buffer) } },
      audiences: new Set([AUD]),
      defaultAudience: AUD,
      scopes: new Set(['r']),
      grantTypes: new Set(['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange']),
      maxTtlSeconds: undefined,
      mayAct: { sub: 'gamma' },
      release: ['displayName'],
      upstreamTokenRelease: new Set(),
    });
    expect(JSON.stringify(alpha)).not.toContain('alpha-secret');
    if (alpha.auth.method === 'private_key_jwt') throw new Error('unexpected method');
    expect(await verifyClientSecret('alpha-secret', alpha.auth.secretHash)).toBe(true);
    expect(await verifyClientSecret('alpha-secreT', alpha.auth.secretHash)).toBe(false);
  });

  it('has no default audience for a client of several audiences without default_audience', async () => {
    const registry = await buildClientRegistry(parseConfig(base([secretClient('alpha', { audiences: [AUD, 'urn:x'], scopes: [] })])), { S: 's' });
    expect(registry.get('alpha')!.defaultAudience).toBeUndefined();
  });

  it("keeps a private_key_jwt client's public JWK Set", async () => {
    const jwk = await exportJWK((await generateKeyPair('ES256')).publicKey);
    const registry = await buildClientRegistry(parseConfig(base([{ id: 'gamma', auth: { method: 'private_key_jwt', jwks: { keys: [jwk] } }, audiences: [AUD] }])), {});
    expect(registry.get('gamma')!.auth).toEqual({ method: 'private_key_jwt', jwks: { keys: [jwk] } });
  });

  it('refuses a private or symmetric key in a client JWK Set', async () => {
    const jwk = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey);
    const config = parseConfig(base([{ id: 'gamma', auth: { method: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'AAAA' }, jwk] } }, audiences: [AUD] }]));
    await expect(buildClientRegistry(config, {})).rejects.toEqual(
      new ConfigError('config', ['clients[0].auth.jwks.keys[0]: a private or symmetric key (k); give the client\'s public keys only']),
    );
    const onlyPrivate = parseConfig(base([{ id: 'gamma', auth: { method: 'private_key_jwt', jwks: { keys: [jwk] } }, audiences: [AUD] }]));
    await expect(buildClientRegistry(onlyPrivate, {})).rejects.toMatchObject({ issues: ['clients[0].auth.jwks.keys[0]: a private or symmetric key (d); give the client\'s public keys only'] });
  });

  it('refuses a secret_hash whose scrypt cost is out of range', async () => {
    const config = parseConfig(base([{ ...secretClient('alpha'), auth: { method: 'client_secret_post', secret_hash: 'scrypt$1024$8$1$c2FsdA$aGFzaA' } }]));
    await expect(buildClientRegistry(config, {})).rejects.toMatchObject({
      issues: ['clients[0].auth.secret_hash: expected scrypt$N$r$p$salt$hash with N a power of two between 2^14 and 2^20'],
    });
  });
});
