import { sql } from 'drizzle-orm';
import { pgClientOf, type PgDb } from '../db/pg/client.js';
import { revokedTokens } from '../db/schema-pg/revoked-tokens.js';
import { subjectCutoffs } from '../db/schema-pg/subject-cutoffs.js';
import { pgOf } from '../db/tx.js';
import { idsToCheck, revocationFrom, type RevocationStore } from './revocations.js';

/**
 * RevocationStore on PostgreSQL (contract: revocations.contract.ts): recorded once by INSERT … ON CONFLICT DO
 * NOTHING RETURNING; a subject's cutoff by an upsert that keeps the later one; checked by one statement.
 */
/** The one revocation check, a named prepared statement (parsed and planned once per connection). */
const LOOKUP = `SELECT jti, NULL::timestamptz AS cutoff FROM revoked_tokens WHERE jti = ANY($1::text[])
  UNION ALL SELECT NULL, cutoff FROM subject_cutoffs WHERE subject = $2 AND cutoff > $3`;

export function createPgRevocations(db: PgDb): RevocationStore {
  return {
    async revocationOf(token) {
      const { rows } = await pgClientOf(db).query<{ jti: string | null; cutoff: Date | null }>({ name: 'revocation_of', text: LOOKUP, values: [idsToCheck(token), token.sub, token.issuedAt] });
      return revocationFrom(token, rows);
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
