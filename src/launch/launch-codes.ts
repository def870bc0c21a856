import { and, eq, gt } from 'drizzle-orm';
import { randomToken, sha256b64u } from '../core/hash.js';
import { open, seal, type MasterKeyring } from '../crypto/sealed-box.js';
import type { Tx } from '../db/client.js';
import { launchCodes } from '../db/schema/launch-codes.js';

/** What a redeemed code hands the survey: a flat object of strings (embedded-data friendly). */
export type RedeemFields = Record<string, string>;

export interface LaunchCodes {
  /** Stores a fresh code (hashed) with its sealed payload; returns the code for the redirect. */
  issue(tx: Tx, entry: { surveyId: string; jti: string; fields: RedeemFields; now: Date; ttlSeconds: number }): string;
  /** Consumes a code in one DELETE … RETURNING: it works once, and only before it expires. */
  redeem(tx: Tx, code: string, now: Date): { surveyId: string; jti: string; fields: RedeemFields } | undefined;
}

export function createLaunchCodes(keyring: MasterKeyring): LaunchCodes {
  return {
    issue(tx, { surveyId, jti, fields, now, ttlSeconds }) {
      const code = randomToken(32);
      const codeHash = sha256b64u(code);
      tx.insert(launchCodes)
        .values({
          codeHash,
          surveyId,
          jti,
          payloadSealed: seal(keyring, JSON.stringify(fields), `launch_codes:${codeHash}`),
          createdAt: now,
          expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
        })
        .run();
      return code;
    },
    redeem(tx, code, now) {
      const codeHash = sha256b64u(code);
      const row = tx
        .delete(launchCodes)
        .where(and(eq(launchCodes.codeHash, codeHash), gt(launchCodes.expiresAt, now)))
        .returning()
        .get();
      if (!row) return undefined;
      return { surveyId: row.surveyId, jti: row.jti, fields: JSON.parse(open(keyring, row.payloadSealed, `launch_codes:${codeHash}`)) as RedeemFields };
    },
  };
}
