import { and, eq, gt, isNull } from 'drizzle-orm';
import { sha256b64u } from '../core/hash.js';
import type { MasterKeyring } from '../core/sealed-box.js';
import { launchCodes } from '../db/schema-pg/launch-codes.js';
import { pgOf } from '../db/tx.js';
import { newLaunchCode, openPayload, type LaunchCodeStore } from './launch-codes.js';

/** LaunchCodeStore on PostgreSQL (contract: launch-codes.contract.ts): the same sealed payload, consumed by UPDATE … RETURNING. */
export function createPgLaunchCodes(keyring: MasterKeyring): LaunchCodeStore {
  return {
    async issue(tx, entry) {
      const { code, row } = newLaunchCode(keyring, entry);
      await pgOf(tx).insert(launchCodes).values(row);
      return code;
    },
    async redeem(tx, code, now) {
      const db = pgOf(tx);
      const codeHash = sha256b64u(code);
      // Of two concurrent redeemers the second waits for the first's row lock, then no longer matches `redeemed_at IS NULL`.
      const [row] = await db
        .update(launchCodes)
        .set({ redeemedAt: now })
        .where(and(eq(launchCodes.codeHash, codeHash), isNull(launchCodes.redeemedAt), gt(launchCodes.expiresAt, now)))
        .returning();
      if (!row) return undefined;
      await db.update(launchCodes).set({ payloadSealed: null }).where(eq(launchCodes.codeHash, codeHash));
      return { surveyId: row.surveyId, jti: row.jti, fields: openPayload(keyring, row) };
    },
    async spent(tx, code) {
      const [row] = await pgOf(tx)
        .select({ surveyId: launchCodes.surveyId, jti: launchCodes.jti, redeemedAt: launchCodes.redeemedAt })
        .from(launchCodes)
        .where(eq(launchCodes.codeHash, sha256b64u(code)));
      return row && { surveyId: row.surveyId, jti: row.jti, redeemedAt: row.redeemedAt ?? undefined };
    },
  };
}
