import { and, eq, gt, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { samlRequests } from '../db/schema/saml-requests.js';

export type PendingLogin = typeof samlRequests.$inferSelect;

/**
 * AuthnRequests we sent, each bound to the browser that started it (the hash of a nonce in that browser's
 * cookie). A response is accepted only against a pending login of the same browser, and consumes it.
 */
export interface PendingLogins {
  remember(tx: Tx, login: PendingLogin): void;
  /** The live pending login with this id in this browser, without consuming it (to tell the engine what to expect). */
  find(id: string, bindingHash: string, now: Date): PendingLogin | undefined;
  /** Consumes it in one DELETE … RETURNING: of two concurrent responses, exactly one gets the row. */
  consume(tx: Tx, id: string, bindingHash: string, now: Date): PendingLogin | undefined;
}

export function createPendingLogins(db: Db): PendingLogins {
  // A placeholder in a WHERE is bound as given: `now` goes through the column's own mapping first.
  const asStored = (now: Date) => samlRequests.expiresAt.mapToDriverValue(now);
  const live = and(eq(samlRequests.id, sql.placeholder('id')), eq(samlRequests.bindingHash, sql.placeholder('bindingHash')), gt(samlRequests.expiresAt, sql.placeholder('now')));
  // Prepared once (one of each per sign-in); the DELETE runs on the connection inside the caller's transaction.
  const find = db.select().from(samlRequests).where(live).prepare();
  const consume = db.delete(samlRequests).where(live).returning().prepare();
  const insert = db
    .insert(samlRequests)
    .values({ id: sql.placeholder('id'), idpId: sql.placeholder('idpId'), bindingHash: sql.placeholder('bindingHash'), purpose: sql.placeholder('purpose'), target: sql.placeholder('target'), createdAt: sql.placeholder('createdAt'), expiresAt: sql.placeholder('expiresAt') })
    .prepare();
  return {
    remember: (_tx, login) => void insert.run(login),
    find: (id, bindingHash, now) => find.get({ id, bindingHash, now: asStored(now) }),
    consume: (_tx, id, bindingHash, now) => consume.get({ id, bindingHash, now: asStored(now) }),
  };
}
