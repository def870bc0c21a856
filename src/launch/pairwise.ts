import { createHmac, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { open, seal, type MasterKeyring } from '../core/sealed-box.js';
import type { Db } from '../db/client.js';
import { serviceSecrets } from '../db/schema/service-secrets.js';

const NAME = 'pairwise-subject';

/**
 * Pairwise subjects: `sub` = HMAC-SHA256(service secret, audience + "\n" + subject), so two audiences (two
 * vendors) see unrelated identifiers for one person and cannot join their data on it. The secret is made once
 * and kept sealed in the database, so the identifiers stay stable across restarts and master-key rotations.
 */
export function createPairwiseSubjects(db: Db, keyring: MasterKeyring, now: Date): (subject: string, audience: string) => string {
  db.insert(serviceSecrets)
    .values({ name: NAME, sealed: seal(keyring, randomBytes(32).toString('base64url'), NAME), createdAt: now })
    .onConflictDoNothing()
    .run();
  const row = db.select().from(serviceSecrets).where(eq(serviceSecrets.name, NAME)).get()!;
  const key = Buffer.from(open(keyring, row.sealed, NAME), 'base64url');
  return (subject, audience) => createHmac('sha256', key).update(`${audience}\n${subject}`).digest('base64url');
}
