import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { revokedTokens } from '../db/schema/revoked-tokens.js';
import { sqliteOf, type Tx } from '../db/tx.js';

/** The revocation list (RFC 7009) for our own tokens, by `jti`. Contract: revocations.contract.ts. */
export interface RevocationStore {
  isRevoked(jti: string): Promise<boolean>;
  /** Records a revocation inside the caller's transaction; revoking twice is a no-op. Resolves true if new. */
  revoke(tx: Tx, entry: { jti: string; clientId: string; revokedAt: Date; expiresAt: Date }): Promise<boolean>;
}

export function createRevocations(db: Db): RevocationStore {
  // Both on every token check or revocation: prepared once.
  const find = db.select({ jti: revokedTokens.jti }).from(revokedTokens).where(eq(revokedTokens.jti, sql.placeholder('jti'))).prepare();
  const insert = db
    .insert(revokedTokens)
    .values({ jti: sql.placeholder('jti'), clientId: sql.placeholder('clientId'), revokedAt: sql.placeholder('revokedAt'), expiresAt: sql.placeholder('expiresAt') })
    .onConflictDoNothing()
    .prepare();
  return {
    isRevoked: async (jti) => find.get({ jti }) !== undefined,
    async revoke(tx, entry) {
      sqliteOf(tx);
      return insert.run(entry).changes === 1;
    },
  };
}
