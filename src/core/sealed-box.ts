import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { TemporarilyUnavailable } from './oauth-errors.js';

/**
 * AES-256-GCM encryption at rest for signing keys and upstream tokens. Each sealed value names the master
 * key that sealed it (`v1.<keyId>.<iv>.<ciphertext>.<tag>`), so the master key can be rotated row by row.
 * The associated data binds a sealed value to its row (a value copied to another row does not open).
 */
export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

export interface MasterKeyring {
  readonly current: MasterKey;
  byId(id: string): MasterKey | undefined;
}

export class MasterKeyError extends Error {}

/**
 * A value sealed under a master key this process does not hold: `keys rotate-master` (or an instance started
 * with the new key) sealed it after this process started. Neither the caller's fault nor a bug: the service
 * answers 503 until it is restarted with the new key (`detail` names the key id, for the log and the audit row).
 */
export class MasterKeyUnavailable extends TemporarilyUnavailable {}

/** Parses a 32-byte key given as base64 or base64url. */
export function parseMasterKey(text: string): MasterKey {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    throw new MasterKeyError('the master key must be 32 random bytes, base64-encoded (openssl rand -base64 32)');
  }
  const key = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
  if (key.length !== 32) throw new MasterKeyError('the master key must be 32 random bytes, base64-encoded');
  return { id: createHash('sha256').update(key).digest('base64url').slice(0, 12), key };
}

/**
 * The first key seals; every listed key can open (older keys stay listed until rows are re-sealed).
 * `onUnknownKey` hears of each value that names a key not listed (the service logs what to do).
 */
export function createKeyring(keys: MasterKey[], onUnknownKey?: (id: string) => void): MasterKeyring {
  const [current] = keys;
  if (!current) throw new MasterKeyError('no master key');
  const map = new Map(keys.map((k) => [k.id, k]));
  return {
    current,
    byId(id) {
      const key = map.get(id);
      if (!key) onUnknownKey?.(id);
      return key;
    },
  };
}

export function generateMasterKeyText(): string {
  return randomBytes(32).toString('base64');
}

export function seal(keyring: MasterKeyring, plaintext: string, aad: string): string {
  const { id, key } = keyring.current;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', id, iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

export function open(keyring: MasterKeyring, sealed: string, aad: string): string {
  const [version, id, iv, ct, tag] = sealed.split('.');
  if (version !== 'v1' || !id || !iv || ct === undefined || !tag) throw new MasterKeyError('sealed value is malformed');
  const master = keyring.byId(id);
  if (!master) throw new MasterKeyUnavailable('the service cannot open its stored keys; try again shortly', `sealed with master key ${id}, which is not configured`);
  const decipher = createDecipheriv('aes-256-gcm', master.key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new MasterKeyError(`sealed value does not open with master key ${id}`, { cause: err });
  }
}

/** The key id a sealed value was sealed with (for re-sealing after a master-key rotation). */
export function sealedKeyId(sealed: string): string | undefined {
  return sealed.split('.')[1];
}
