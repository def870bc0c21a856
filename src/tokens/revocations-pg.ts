import { sql } from 'drizzle-orm';
import type { PgDb } from '../db/pg/client.js';
import { revokedTokens } from '../db/schema-pg/revoked-tokens.js';
import { subjectCutoffs } from '../db/schema-pg/subject-cutoffs.js';
import { pgOf } from '../db/tx.js';
import { idsToCheck, revocationFrom, type RevocationStore } from './revocations.js';

/**
 * RevocationStore on PostgreSQL (contract: revocations.contract.ts): recorded once by INSERT … ON CONFLICT DO
 * NOTHING RETURNING; a subject's cutoff by an upsert that keeps the later one; checked by one statement.
 */
export function createPgRevocations(db: PgDb): RevocationStore {
  return {
    async revocationOf(token) {
      const { rows } = await db.execute<{ jti: string | null; cutoff: string | null }>(sql`
        SELECT ${revokedTokens.jti} AS jti, NULL::timestamptz AS cutoff FROM ${revokedTokens} WHERE ${revokedTokens.jti} = ANY(${sql.param(idsToCheck(token))}::text[])
        UNION ALL SELECT NULL, ${subjectCutoffs.cutoff} FROM ${subjectCutoffs}
        WHERE ${subjectCutoffs.subject} = ${token.sub} AND ${subjectCutoffs.cutoff} > ${token.issuedAt.toISOString()}::timestamptz`);
      return revocationFrom(token, rows.map((r) => ({ jti: r.jti, cutoff: r.cutoff === null ? null : (subjectCutoffs.cutoff.mapFromDriverValue(r.cutoff) as Date) })));
    },
    async revoke(tx, entry) {
      const inserted = await pgOf(tx).insert(revokedTokens).values(entry).onConflictDoNothing().returning({ jti: revokedTokens.jti });
      return inserted.length === 1;
    },
    async cutOff(tx, entry) {
      const [row] = await pgOf(tx)
        .insert(subjectCutoffs)
        .values(entry)
        .onConflictDoUpdate({
          target: subjectCutoffs.subject,
          set: { cutoff: sql`greatest(${subjectCutoffs.cutoff}, excluded.cutoff)`, expiresAt: sql`greatest(${subjectCutoffs.expiresAt}, excluded.expires_at)` },
        })
        .returning({ cutoff: subjectCutoffs.cutoff });
      return row!.cutoff;
    },
  };
}
