import { eq } from 'drizzle-orm';
import type { PgDb } from '../db/pg/client.js';
import { revokedTokens } from '../db/schema-pg/revoked-tokens.js';
import { pgOf } from '../db/tx.js';
import type { RevocationStore } from './revocations.js';

/** RevocationStore on PostgreSQL (contract: revocations.contract.ts): recorded once by INSERT … ON CONFLICT DO NOTHING RETURNING. */
export function createPgRevocations(db: PgDb): RevocationStore {
  return {
    async isRevoked(jti) {
      const found = await db.select({ jti: revokedTokens.jti }).from(revokedTokens).where(eq(revokedTokens.jti, jti)).limit(1);
      return found.length > 0;
    },
    async revoke(tx, entry) {
      const inserted = await pgOf(tx).insert(revokedTokens).values(entry).onConflictDoNothing().returning({ jti: revokedTokens.jti });
      return inserted.length === 1;
    },
  };
}
