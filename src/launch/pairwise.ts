import { createHmac, randomBytes } from 'node:crypto';
import { open, seal, type MasterKeyring } from '../core/sealed-box.js';
import type { GroupCommitter } from '../db/group-commit.js';
import type { ServiceSecretStore } from './service-secrets.js';

const NAME = 'pairwise-subject';

/**
 * Pairwise subjects: `sub` = HMAC-SHA256(service secret, audience + "\n" + subject), so two audiences (two
 * vendors) see unrelated identifiers for one person and cannot join their data on it. The secret is made once
 * and kept sealed in the database, so the identifiers stay stable across restarts and master-key rotations.
 */
export async function createPairwiseSubjects(
  deps: { secrets: ServiceSecretStore; commit: GroupCommitter['commit'] },
  keyring: MasterKeyring,
  now: Date,
): Promise<(subject: string, audience: string) => string> {
  const candidate = seal(keyring, randomBytes(32).toString('base64url'), NAME);
  const sealed = await deps.commit((tx) => deps.secrets.getOrAdd(tx, NAME, candidate, now));
  const key = Buffer.from(open(keyring, sealed, NAME), 'base64url');
  return (subject, audience) => createHmac('sha256', key).update(`${audience}\n${subject}`).digest('base64url');
}
