import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../core/clock.js';
import { open, seal, type MasterKeyring } from '../core/sealed-box.js';
import type { SigningKeyRow } from '../db/schema/signing-keys.js';
import { accessTokenSigner, accessTokenVerifier, type AccessTokenSigner, type AccessTokenVerifier } from './jws.js';
import type { SigningKeyStore } from './signing-keys.js';

export type SigningAlgorithm = SigningKeyRow['alg'];

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  /** For jose (checkpoints). */
  key: CryptoKey;
  /** Access tokens are signed here (jws.ts). */
  signAccessToken: AccessTokenSigner;
}

/** A still-published key of ours, as access-token verification needs it. */
export interface PublishedKey {
  verifyAccessToken: AccessTokenVerifier;
}

/** Our signing keys as the token code sees them: the one that signs, and every one still published. */
export interface Keystore {
  signingKey(): Promise<SigningKey>;
  /** The key `kid` if it is still published; undefined for an unknown or withdrawn kid. */
  verificationKey(kid: string): Promise<PublishedKey | undefined>;
  /** RFC 7517 JWK Set of the active and still-published retired keys. */
  publicJwks(): Promise<{ keys: JWK[] }>;
}

interface KeyDeps {
  keys: SigningKeyStore;
  keyring: MasterKeyring;
  clock: Clock;
  audit: AuditLog;
}

/** How long a read of the key table is trusted before re-reading (a CLI rotation reaches a running server). */
const RELOAD_MS = 5000;
/** How soon an unknown kid may make a keystore re-read early; also how long a new key waits before it signs. */
const FORCED_RELOAD_MS = 1000;

/** Makes a key pair; `kid` is its RFC 7638 thumbprint. */
async function newKeyRow(alg: SigningAlgorithm, keyring: MasterKeyring, now: Date): Promise<SigningKeyRow> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = JSON.stringify(await exportJWK(pair.privateKey));
  return {
    kid,
    alg,
    publicJwk: JSON.stringify({ ...publicJwk, kid, alg, use: 'sig' }),
    privateJwkSealed: seal(keyring, privateJwk, `signing_keys:${kid}`),
    status: 'active',
    createdAt: now,
    retiredAt: null,
    publishUntil: null,
  };
}

/** Creates the first signing key unless one is active. Safe to call from several instances at once. */
export async function ensureSigningKey(deps: KeyDeps, alg: SigningAlgorithm): Promise<{ kid: string; created: boolean }> {
  const active = await deps.keys.active();
  if (active) return { kid: active.kid, created: false };
  const row = await newKeyRow(alg, deps.keyring, deps.clock.now());
  return deps.audit.commit(async (tx) => {
    const raced = await deps.keys.active(tx);
    if (raced) return { kid: raced.kid, created: false };
    await deps.keys.add(tx, row);
    await deps.audit.append(tx, { event: 'key.generate', outcome: 'success', data: { kid: row.kid, alg } });
    return { kid: row.kid, created: true };
  });
}

/**
 * Makes a new active key and retires the old one. The retired key stays published until every token it
 * signed has expired: `publishForSeconds` (the longest token lifetime + clock skew) after the last token it
 * may sign, and running instances sign with it until they re-read the key table, up to RELOAD_MS from now.
 */
export async function rotateSigningKey(
  deps: KeyDeps,
  alg: SigningAlgorithm,
  publishForSeconds: number,
): Promise<{ kid: string; retiredKid: string | undefined; retiredPublishedSeconds: number }> {
  const now = deps.clock.now();
  const row = await newKeyRow(alg, deps.keyring, now);
  const retiredPublishedSeconds = RELOAD_MS / 1000 + publishForSeconds;
  return deps.audit.commit(async (tx) => {
    const old = await deps.keys.active(tx);
    if (old) await deps.keys.retire(tx, old.kid, now, new Date(now.getTime() + retiredPublishedSeconds * 1000));
    await deps.keys.add(tx, row);
    await deps.audit.append(tx, {
      event: 'key.generate',
      outcome: 'success',
      data: { kid: row.kid, alg, ...(old ? { retired_kid: old.kid } : {}) },
    });
    return { kid: row.kid, retiredKid: old?.kid, retiredPublishedSeconds };
  });
}

/**
 * The key to sign with: the active one, except in its first FORCED_RELOAD_MS, while an instance that read the
 * key table just before the rotation would refuse its tokens (it re-reads for an unknown kid at most that
 * often): then the key it replaced, still published.
 */
function signerOf(published: SigningKeyRow[], now: Date): SigningKeyRow | undefined {
  const active = published.find((r) => r.status === 'active');
  if (!active || now.getTime() - active.createdAt.getTime() > FORCED_RELOAD_MS) return active;
  return published.find((r) => r.retiredAt?.getTime() === active.createdAt.getTime()) ?? active;
}

export function createKeystore(deps: Pick<KeyDeps, 'keys' | 'keyring' | 'clock'>): Keystore {
  let rows: SigningKeyRow[] = [];
  let loadedAt = -Infinity;
  const imported = new Map<string, Promise<unknown>>();

  /** Published keys; `force` re-reads early (an unknown kid may be a fresh rotation), at most once a second. */
  function current(force = false): SigningKeyRow[] | Promise<SigningKeyRow[]> {
    const now = deps.clock.now().getTime();
    const age = now - loadedAt;
    // The cached rows as they are (no promise made) on the token path; a read of the store once they are stale.
    if (age <= RELOAD_MS && age >= 0 && !(force && age > FORCED_RELOAD_MS)) return rows;
    return deps.keys.all().then((all) => {
      rows = all.filter((r) => r.status === 'active' || (r.publishUntil !== null && r.publishUntil.getTime() > now));
      loadedAt = now;
      return rows;
    });
  }

  function importOnce<T>(cacheKey: string, load: () => Promise<T>): Promise<T> {
    let key = imported.get(cacheKey) as Promise<T> | undefined;
    if (!key) {
      // A key that did not open (its master key is not held yet) is tried again next time, not failed forever.
      key = load().catch((err: unknown) => {
        imported.delete(cacheKey);
        throw err;
      });
      imported.set(cacheKey, key);
    }
    return key;
  }

  return {
    async signingKey() {
      const signing = signerOf(await current(), deps.clock.now()) ?? signerOf(await current(true), deps.clock.now());
      if (!signing) throw new Error('no active signing key (start-up creates one)');
      return importOnce(`private:${signing.kid}`, async (): Promise<SigningKey> => {
        const jwk = JSON.parse(open(deps.keyring, signing.privateJwkSealed, `signing_keys:${signing.kid}`)) as JWK;
        const key = (await importJWK(jwk, signing.alg)) as CryptoKey;
        return { kid: signing.kid, alg: signing.alg, key, signAccessToken: accessTokenSigner(signing.alg, jwk, signing.kid) };
      });
    },
    async verificationKey(kid) {
      const row = (await current()).find((r) => r.kid === kid) ?? (await current(true)).find((r) => r.kid === kid);
      if (!row) return undefined;
      return importOnce(`public:${kid}`, async (): Promise<PublishedKey> => ({ verifyAccessToken: accessTokenVerifier(row.alg, JSON.parse(row.publicJwk) as JWK) }));
    },
    async publicJwks() {
      return { keys: (await current()).map((r) => JSON.parse(r.publicJwk) as JWK) };
    },
  };
}
