import { and, eq, gt } from 'drizzle-orm';
import { randomToken, sha256b64u } from '../core/hash.js';
import { open, seal, type MasterKeyring } from '../core/sealed-box.js';
import { launchCodes } from '../db/schema-pg/launch-codes.js';
import { pgOf } from '../db/tx.js';
import type { LaunchCodeStore, RedeemFields } from './launch-codes.js';

/** LaunchCodeStore on PostgreSQL (contract: launch-codes.contract.ts): the same sealed payload, consumed by DELETE … RETURNING. */
export function createPgLaunchCodes(keyring: MasterKeyring): LaunchCodeStore {
  return {
    async issue(tx, { surveyId, jti, fields, now, ttlSeconds }) {
      const db = pgOf(tx);
      const code = randomToken(32);
      const codeHash = sha256b64u(code);
      await db.insert(launchCodes).values({
        codeHash,
        surveyId,
        jti,
        payloadSealed: seal(keyring, JSON.stringify(fields), `launch_codes:${codeHash}`),
        createdAt: now,
        expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
      });
      return code;
    },
    async redeem(tx, code, now) {
      const db = pgOf(tx);
      const codeHash = sha256b64u(code);
      const [row] = await db.delete(launchCodes).where(and(eq(launchCodes.codeHash, codeHash), gt(launchCodes.expiresAt, now))).returning();
      if (!row) return undefined;
      return { surveyId: row.surveyId, jti: row.jti, fields: JSON.parse(open(keyring, row.payloadSealed, `launch_codes:${codeHash}`)) as RedeemFields };
    },
  };
}
