import { and, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { samlRequests } from '../db/schema/saml-requests.js';
import { sqliteOf, type Tx } from '../db/tx.js';

export type PendingLogin = typeof samlRequests.$inferSelect;

/**
 * AuthnRequests we sent, each bound to the browser that started it (the hash of a nonce in that browser's
 * cookie). A response is accepted only against a live pending login of the same browser, and consumes it.
 * Contract: pending-logins.contract.ts.
 */
export interface PendingLoginStore {
  remember(tx: Tx, login: PendingLogin): Promise<void>;
  /**
   * The pending login with this id in this browser, without consuming it (to tell the engine what to expect):
   * also one past its expiry while it is kept (`EXPIRED_LOGINS_KEPT_MS`), so a late answer is told apart.
   */
  find(id: string, bindingHash: string): Promise<PendingLogin | undefined>;
  /** Consumes it, if live, in one atomic statement: of two concurrent responses, exactly one gets the row. */
  consume(tx: Tx, id: string, bindingHash: string, now: Date): Promise<PendingLogin | undefined>;
}

export function createPendingLogins(db: Db): PendingLoginStore {
  // A placeholder in a WHERE is bound as given: `now` goes through the column's own mapping first.
  const asStored = (now: Date) => samlRequests.expiresAt.mapToDriverValue(now);
  const mine = and(eq(samlRequests.id, sql.placeholder('id')), eq(samlRequests.bindingHash, sql.placeholder('bindingHash')));
  // Prepared once (one of each per sign-in); they run on the one connection, inside `tx` (checked by sqliteOf).
  const find = db.select().from(samlRequests).where(mine).prepare();
  const consume = db.delete(samlRequests).where(and(mine, gt(samlRequests.expiresAt, sql.placeholder('now')))).returning().prepare();
  const insert = db
    .insert(samlRequests)
    .values({
      id: sql.placeholder('id'),
      idpId: sql.placeholder('idpId'),
      bindingHash: sql.placeholder('bindingHash'),
      purpose: sql.placeholder('purpose'),
      target: sql.placeholder('target'),
      startRequestId: sql.placeholder('startRequestId'),
      createdAt: sql.placeholder('createdAt'),
      expiresAt: sql.placeholder('expiresAt'),
    })
    .prepare();
  return {
    async remember(tx, login) {
      sqliteOf(tx);
      insert.run(login);
    },
    find: async (id, bindingHash) => find.get({ id, bindingHash }),
    async consume(tx, id, bindingHash, now) {
      sqliteOf(tx);
      return consume.get({ id, bindingHash, now: asStored(now) });
    },
  };
}
