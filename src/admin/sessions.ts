import { eq, lt, or, sql } from 'drizzle-orm';
import type { Clock } from '../core/clock.js';
import { randomToken, sha256b64u } from '../core/hash.js';
import type { Db } from '../db/client.js';
import type { GroupCommitter } from '../db/group-commit.js';
import { adminSessions, type AdminSessionRow } from '../db/schema/admin-sessions.js';
import { sqliteOf, type Tx } from '../db/tx.js';
import type { AdminRole } from './roles.js';

/** Who is signed in to the console, as route handlers see them. */
export interface AdminPrincipal {
  subject: string;
  role: AdminRole;
  idpId: string;
  /** The synchronizer token state-changing requests must echo (form field `csrf_token` or header `X-CSRF-Token`). */
  csrfToken: string;
  /** sha256 of the session id (the row key), never the id itself. */
  sessionKey: string;
}

export interface SessionTimeouts {
  idleSeconds: number;
  absoluteSeconds: number;
}

/** The console session rows (keyed by the sha256 of the cookie's id). Contract: sessions.contract.ts. */
export interface AdminSessionStore {
  /** Adds a session and deletes every row expired (idle or absolute) at `now`. */
  add(tx: Tx, row: AdminSessionRow, now: Date): Promise<void>;
  find(idHash: string): Promise<AdminSessionRow | undefined>;
  /** Moves the idle clock on (a session in use). */
  touch(tx: Tx, idHash: string, lastSeenAt: Date, idleExpiresAt: Date): Promise<void>;
  /** Ends a session in one DELETE; true if it existed (of two concurrent sign-outs, one). */
  remove(tx: Tx, idHash: string): Promise<boolean>;
}

export function createAdminSessionStore(db: Db): AdminSessionStore {
  // Read on every console request: prepared once.
  const find = db.select().from(adminSessions).where(eq(adminSessions.idHash, sql.placeholder('idHash'))).prepare();
  return {
    async add(tx, row, now) {
      const conn = sqliteOf(tx);
      conn.delete(adminSessions).where(or(lt(adminSessions.expiresAt, now), lt(adminSessions.idleExpiresAt, now))).run();
      conn.insert(adminSessions).values(row).run();
    },
    find: async (idHash) => find.get({ idHash }),
    async touch(tx, idHash, lastSeenAt, idleExpiresAt) {
      sqliteOf(tx).update(adminSessions).set({ lastSeenAt, idleExpiresAt }).where(eq(adminSessions.idHash, idHash)).run();
    },
    remove: async (tx, idHash) => sqliteOf(tx).delete(adminSessions).where(eq(adminSessions.idHash, idHash)).run().changes === 1,
  };
}

/** Only move `last_seen_at` forward when it is this stale: a burst of page loads is one write, not dozens. */
const TOUCH_AFTER_MS = 30_000;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Server-side console sessions. The cookie holds a random 256-bit id; the table holds its sha256. Timeouts are
 * checked against the injected clock on every request; an expired row is deleted when it is met.
 */
export function createAdminSessions(deps: { store: AdminSessionStore; commit: GroupCommitter['commit']; clock: Clock; timeouts: SessionTimeouts }) {
  const toPrincipal = (row: AdminSessionRow): AdminPrincipal => ({ subject: row.subject, role: row.role, idpId: row.idpId, csrfToken: row.csrfToken, sessionKey: row.idHash });

  return {
    /** A new session (inside the login's transaction); returns the id for the cookie. Sweeps expired rows. */
    async create(tx: Tx, who: { subject: string; role: AdminRole; idpId: string }): Promise<{ id: string; principal: AdminPrincipal }> {
      const now = deps.clock.now();
      const id = randomToken(32);
      const row: AdminSessionRow = {
        idHash: sha256b64u(id),
        subject: who.subject,
        role: who.role,
        idpId: who.idpId,
        csrfToken: randomToken(32),
        createdAt: now,
        lastSeenAt: now,
        idleExpiresAt: new Date(now.getTime() + deps.timeouts.idleSeconds * 1000),
        expiresAt: new Date(now.getTime() + deps.timeouts.absoluteSeconds * 1000),
      };
      await deps.store.add(tx, row, now);
      return { id, principal: toPrincipal(row) };
    },

    /** The live session for a cookie value (and the idle clock moved on), or why there is none. */
    async resume(id: string | undefined): Promise<{ principal: AdminPrincipal } | { missing: 'none' | 'unknown' | 'idle' | 'expired' }> {
      if (!id) return { missing: 'none' };
      if (!SESSION_ID.test(id)) return { missing: 'unknown' };
      const key = sha256b64u(id);
      const row = await deps.store.find(key);
      if (!row) return { missing: 'unknown' };
      const now = deps.clock.now();
      if (now >= row.expiresAt || now >= row.idleExpiresAt) {
        await deps.commit((tx) => deps.store.remove(tx, key));
        return { missing: now >= row.expiresAt ? 'expired' : 'idle' };
      }
      if (now.getTime() - row.lastSeenAt.getTime() >= TOUCH_AFTER_MS) {
        const idle = Math.min(now.getTime() + deps.timeouts.idleSeconds * 1000, row.expiresAt.getTime());
        await deps.commit((tx) => deps.store.touch(tx, key, now, new Date(idle)));
      }
      return { principal: toPrincipal(row) };
    },

    /** Ends a session (sign-out), inside the transaction that audits it. */
    end: (tx: Tx, sessionKey: string): Promise<boolean> => deps.store.remove(tx, sessionKey),
  };
}

export type AdminSessions = ReturnType<typeof createAdminSessions>;
