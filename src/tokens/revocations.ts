import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { revokedTokens } from '../db/schema/revoked-tokens.js';
import { subjectCutoffs } from '../db/schema/subject-cutoffs.js';
import { sqliteOf, type Tx } from '../db/tx.js';

/**
 * The most ids a token's `lineage` may hold (its ancestors: the SAML assertion or first token, then every token
 * it was exchanged from). It bounds the revocation check: one query over at most this many ids plus the token's
 * own, never a walk of the chain.
 */
export const MAX_LINEAGE = 8;

/** What a token is checked by: its own id, its ancestors' ids, its subject and when it was issued. */
export interface RevocationKeys {
  jti: string;
  /** The ids the token descends from, root first (the `lineage` claim). */
  lineage: readonly string[];
  sub: string;
  issuedAt: Date;
}

/** Why a token is revoked: itself, one of its ancestors (by id), or its subject from `cutoff` on. */
export type Revocation = { by: 'itself' } | { by: 'ancestor'; id: string } | { by: 'subject'; cutoff: Date };

/**
 * The revocation list (RFC 7009) for our own tokens, by `jti`, and subject-wide cutoffs. A revoked id revokes
 * every token that carries it in its lineage. Contract: revocations.contract.ts.
 */
export interface RevocationStore {
  /** Why `token` is revoked, or undefined: ONE query (its id and its lineage's by primary key, its subject by primary key). */
  revocationOf(token: RevocationKeys): Promise<Revocation | undefined>;
  /** Records a revocation inside the caller's transaction; revoking twice is a no-op. Resolves true if new. */
  revoke(tx: Tx, entry: { jti: string; clientId: string; revokedAt: Date; expiresAt: Date }): Promise<boolean>;
  /**
   * Revokes, inside the caller's transaction, every token of `subject` issued before `cutoff` (`iat` < cutoff).
   * A later cutoff already recorded stands; resolves to the cutoff in force.
   */
  cutOff(tx: Tx, entry: { subject: string; cutoff: Date; expiresAt: Date }): Promise<Date>;
}

/** One row of the check: a revoked id, or a cutoff of the token's subject that lies after its `iat`. */
interface RevocationHit {
  jti: string | null;
  cutoff: Date | null;
}

/** The reason of a check's rows, the token's own revocation first, then the nearest ancestor's, then its subject's. */
export function revocationFrom(token: RevocationKeys, hits: readonly RevocationHit[]): Revocation | undefined {
  if (hits.length === 0) return undefined;
  const revoked = new Set(hits.flatMap((h) => (h.jti === null ? [] : [h.jti])));
  if (revoked.has(token.jti)) return { by: 'itself' };
  const ancestor = token.lineage.findLast((id) => revoked.has(id));
  if (ancestor !== undefined) return { by: 'ancestor', id: ancestor };
  const cutoff = hits.find((h) => h.cutoff !== null)?.cutoff;
  return cutoff ? { by: 'subject', cutoff } : undefined;
}

/** The ids the check looks up: the token's own, then its lineage's (at most MAX_LINEAGE of them). */
export function idsToCheck(token: RevocationKeys): string[] {
  if (token.lineage.length > MAX_LINEAGE) throw new Error(`a lineage of ${token.lineage.length} ids: at most ${MAX_LINEAGE}`);
  return [token.jti, ...token.lineage];
}

export function createRevocations(db: Db): RevocationStore {
  // On every token check: one statement per count of ids (1 to MAX_LINEAGE + 1), each prepared once and run by
  // better-sqlite3 directly (no per-call mapping). Both halves are primary-key lookups; UNION ALL keeps them one
  // statement. (One statement padded to the longest list cost ~60 % more for a token with no lineage.)
  const checks = Array.from({ length: MAX_LINEAGE + 1 }, (_, i) =>
    db.$client.prepare<unknown[], { jti: string | null; cutoff: number | null }>(
      `SELECT jti, NULL AS cutoff FROM revoked_tokens WHERE jti IN (${Array(i + 1).fill('?').join(', ')})
       UNION ALL SELECT NULL, cutoff FROM subject_cutoffs WHERE subject = ? AND cutoff > ?`,
    ),
  );
  const insert = db
    .insert(revokedTokens)
    .values({ jti: sql.placeholder('jti'), clientId: sql.placeholder('clientId'), revokedAt: sql.placeholder('revokedAt'), expiresAt: sql.placeholder('expiresAt') })
    .onConflictDoNothing()
    .prepare();
  return {
    async revocationOf(token) {
      const ids = idsToCheck(token);
      const rows = checks[ids.length - 1]!.all([...ids, token.sub, token.issuedAt.getTime()]);
      if (rows.length === 0) return undefined;
      return revocationFrom(token, rows.map((r) => ({ jti: r.jti, cutoff: r.cutoff === null ? null : new Date(r.cutoff) })));
    },
    async revoke(tx, entry) {
      sqliteOf(tx);
      return insert.run(entry).changes === 1;
    },
    async cutOff(tx, entry) {
      const row = sqliteOf(tx)
        .insert(subjectCutoffs)
        .values(entry)
        .onConflictDoUpdate({
          target: subjectCutoffs.subject,
          set: { cutoff: sql`max(${subjectCutoffs.cutoff}, excluded.cutoff)`, expiresAt: sql`max(${subjectCutoffs.expiresAt}, excluded.expires_at)` },
        })
        .returning({ cutoff: subjectCutoffs.cutoff })
        .get();
      return row.cutoff;
    },
  };
}
