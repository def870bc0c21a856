import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { revokedTokens } from '../db/schema/revoked-tokens.js';

/** The revocation list (RFC 7009) for our own tokens, by `jti`. */
export interface Revocations {
  isRevoked(jti: string): boolean;
  /** Records a revocation inside the caller's transaction; revoking twice is a no-op. Returns true if new. */
  revoke(tx: Tx, entry: { jti: string; clientId: string; revokedAt: Date; expiresAt: Date }): boolean;
}

export function createRevocations(db: Db): Revocations {
  const find = db.select({ jti: revokedTokens.jti }).from(revokedTokens).where(eq(revokedTokens.jti, sql.placeholder('jti'))).prepare();
  return {
    isRevoked: (jti) => find.get({ jti }) !== undefined,
    revoke: (tx, entry) => tx.insert(revokedTokens).values(entry).onConflictDoNothing().run().changes === 1,
  };
}
