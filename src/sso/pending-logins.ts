import { and, eq, gt } from 'drizzle-orm';
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
  const live = (id: string, bindingHash: string, now: Date) =>
    and(eq(samlRequests.id, id), eq(samlRequests.bindingHash, bindingHash), gt(samlRequests.expiresAt, now));
  return {
    remember: (tx, login) => void tx.insert(samlRequests).values(login).run(),
    find: (id, bindingHash, now) => db.select().from(samlRequests).where(live(id, bindingHash, now)).get(),
    consume: (tx, id, bindingHash, now) => tx.delete(samlRequests).where(live(id, bindingHash, now)).returning().get(),
  };
}
