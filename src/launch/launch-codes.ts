import { and, eq, gt, sql } from 'drizzle-orm';
import { randomToken, sha256b64u } from '../core/hash.js';
import { open, seal, type MasterKeyring } from '../core/sealed-box.js';
import type { Db } from '../db/client.js';
import { launchCodes } from '../db/schema/launch-codes.js';
import { sqliteOf, type Tx } from '../db/tx.js';

/** What a redeemed code hands the survey: a flat object of strings (embedded-data friendly). */
export type RedeemFields = Record<string, string>;

/** One-time launch codes. Contract: launch-codes.contract.ts. */
export interface LaunchCodeStore {
  /** Stores a fresh code (hashed) with its sealed payload; returns the code for the redirect. */
  issue(tx: Tx, entry: { surveyId: string; jti: string; fields: RedeemFields; now: Date; ttlSeconds: number }): Promise<string>;
  /** Consumes a code in one atomic statement (DELETE … RETURNING): it works once, and only before it expires. */
  redeem(tx: Tx, code: string, now: Date): Promise<{ surveyId: string; jti: string; fields: RedeemFields } | undefined>;
}

export function createLaunchCodes(db: Db, keyring: MasterKeyring): LaunchCodeStore {
  // One of each per launch: prepared once; they run on the one connection, inside `tx` (checked by sqliteOf).
  const insert = db
    .insert(launchCodes)
    .values({
      codeHash: sql.placeholder('codeHash'),
      surveyId: sql.placeholder('surveyId'),
      jti: sql.placeholder('jti'),
      payloadSealed: sql.placeholder('payloadSealed'),
      createdAt: sql.placeholder('createdAt'),
      expiresAt: sql.placeholder('expiresAt'),
    })
    .prepare();
  // A placeholder in a WHERE is bound as given: `now` goes through the column's own mapping first.
  const consume = db
    .delete(launchCodes)
    .where(and(eq(launchCodes.codeHash, sql.placeholder('codeHash')), gt(launchCodes.expiresAt, sql.placeholder('now'))))
    .returning()
    .prepare();
  return {
    async issue(tx, { surveyId, jti, fields, now, ttlSeconds }) {
      sqliteOf(tx);
      const code = randomToken(32);
      const codeHash = sha256b64u(code);
      insert.run({
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
      sqliteOf(tx);
      const codeHash = sha256b64u(code);
      const row = consume.get({ codeHash, now: launchCodes.expiresAt.mapToDriverValue(now) });
      if (!row) return undefined;
      return { surveyId: row.surveyId, jti: row.jti, fields: JSON.parse(open(keyring, row.payloadSealed, `launch_codes:${codeHash}`)) as RedeemFields };
    },
  };
}
