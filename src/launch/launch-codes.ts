import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { randomToken, sha256b64u } from '../core/hash.js';
import { open, seal, type MasterKeyring } from '../core/sealed-box.js';
import type { Db } from '../db/client.js';
import { launchCodes } from '../db/schema/launch-codes.js';
import { sqliteOf, type Tx } from '../db/tx.js';

/** What a redeemed code hands the survey: a flat object of strings (embedded-data friendly). */
export type RedeemFields = Record<string, string>;

/** What is kept of a code that no longer redeems: whose it was, and when it was redeemed (undefined: expired unused). */
export interface SpentLaunchCode {
  surveyId: string;
  jti: string;
  redeemedAt: Date | undefined;
}

/** One-time launch codes. Contract: launch-codes.contract.ts. */
export interface LaunchCodeStore {
  /** Stores a fresh code (hashed) with its sealed payload; returns the code for the redirect. */
  issue(tx: Tx, entry: { surveyId: string; jti: string; fields: RedeemFields; now: Date; ttlSeconds: number }): Promise<string>;
  /**
   * Consumes a code in one atomic statement (UPDATE … WHERE redeemed_at IS NULL … RETURNING): it works once, and
   * only before it expires. The payload is then dropped; the row stays until the purge after its expiry.
   */
  redeem(tx: Tx, code: string, now: Date): Promise<{ surveyId: string; jti: string; fields: RedeemFields } | undefined>;
  /** A code that did not redeem, while its row is kept: so a replay is audited with its survey and token. */
  spent(tx: Tx, code: string): Promise<SpentLaunchCode | undefined>;
}

/** The fields of a row its redeem just consumed (which still holds its payload), opened with the code hash as AAD. */
export function openPayload(keyring: MasterKeyring, row: { codeHash: string; payloadSealed: string | null }): RedeemFields {
  return JSON.parse(open(keyring, row.payloadSealed!, `launch_codes:${row.codeHash}`)) as RedeemFields;
}

/** A fresh code and the row that stores it (hashed, its payload sealed with the code hash as AAD): both engines insert it. */
export function newLaunchCode(keyring: MasterKeyring, { surveyId, jti, fields, now, ttlSeconds }: Parameters<LaunchCodeStore['issue']>[1]) {
  const code = randomToken(32);
  const codeHash = sha256b64u(code);
  const row = { codeHash, surveyId, jti, payloadSealed: seal(keyring, JSON.stringify(fields), `launch_codes:${codeHash}`), createdAt: now, expiresAt: new Date(now.getTime() + ttlSeconds * 1000) };
  return { code, row };
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
  // A placeholder in a WHERE (or a SET) is bound as given: `now` goes through the column's own mapping first.
  const asStored = (now: Date) => launchCodes.expiresAt.mapToDriverValue(now);
  const consume = db
    .update(launchCodes)
    .set({ redeemedAt: sql`${sql.placeholder('now')}` })
    .where(and(eq(launchCodes.codeHash, sql.placeholder('codeHash')), isNull(launchCodes.redeemedAt), gt(launchCodes.expiresAt, sql.placeholder('now'))))
    .returning()
    .prepare();
  const dropPayload = db.update(launchCodes).set({ payloadSealed: null }).where(eq(launchCodes.codeHash, sql.placeholder('codeHash'))).prepare();
  const spent = db
    .select({ surveyId: launchCodes.surveyId, jti: launchCodes.jti, redeemedAt: launchCodes.redeemedAt })
    .from(launchCodes)
    .where(eq(launchCodes.codeHash, sql.placeholder('codeHash')))
    .prepare();
  return {
    async issue(tx, entry) {
      sqliteOf(tx);
      const { code, row } = newLaunchCode(keyring, entry);
      insert.run(row);
      return code;
    },
    async redeem(tx, code, now) {
      sqliteOf(tx);
      const codeHash = sha256b64u(code);
      const row = consume.get({ codeHash, now: asStored(now) });
      if (!row) return undefined;
      dropPayload.run({ codeHash });
      return { surveyId: row.surveyId, jti: row.jti, fields: openPayload(keyring, row) };
    },
    async spent(tx, code) {
      sqliteOf(tx);
      const row = spent.get({ codeHash: sha256b64u(code) });
      return row && { surveyId: row.surveyId, jti: row.jti, redeemedAt: row.redeemedAt ?? undefined };
    },
  };
}
