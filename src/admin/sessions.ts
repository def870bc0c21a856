import { sqliteOf } from '../db/tx.js';
import { eq, lt, or } from 'drizzle-orm';
import type { Clock } from '../core/clock.js';
import { randomToken, sha256b64u } from '../core/hash.js';
import type { Db, Tx } from '../db/client.js';
import { adminSessions, type AdminSessionRow } from '../db/schema/admin-sessions.js';
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

/** Only move `last_seen_at` forward when it is this stale: a burst of page loads is one write, not dozens. */
const TOUCH_AFTER_MS = 30_000;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Server-side console sessions. The cookie holds a random 256-bit id; the table holds its sha256. Timeouts are
 * checked against the injected clock on every request; an expired row is deleted when it is met.
 */
export function createAdminSessions(deps: { db: Db; clock: Clock; timeouts: SessionTimeouts }) {
  const toPrincipal = (row: AdminSessionRow): AdminPrincipal => ({ subject: row.subject, role: row.role, idpId: row.idpId, csrfToken: row.csrfToken, sessionKey: row.idHash });

  return {
    /** A new session (inside the login's transaction); returns the id for the cookie. Sweeps expired rows. */
    create(tx: Tx, who: { subject: string; role: AdminRole; idpId: string }): { id: string; principal: AdminPrincipal } {
      const now = deps.clock.now();
      sqliteOf(tx).delete(adminSessions).where(or(lt(adminSessions.expiresAt, now), lt(adminSessions.idleExpiresAt, now))).run();
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
      sqliteOf(tx).insert(adminSessions).values(row).run();
      return { id, principal: toPrincipal(row) };
    },

    /** The live session for a cookie value (and the idle clock moved on), or why there is none. */
    resume(id: string | undefined): { principal: AdminPrincipal } | { missing: 'none' | 'unknown' | 'idle' | 'expired' } {
      if (!id) return { missing: 'none' };
      if (!SESSION_ID.test(id)) return { missing: 'unknown' };
      const key = sha256b64u(id);
      const row = deps.db.select().from(adminSessions).where(eq(adminSessions.idHash, key)).get();
      if (!row) return { missing: 'unknown' };
      const now = deps.clock.now();
      if (now >= row.expiresAt || now >= row.idleExpiresAt) {
        deps.db.delete(adminSessions).where(eq(adminSessions.idHash, key)).run();
        return { missing: now >= row.expiresAt ? 'expired' : 'idle' };
      }
      if (now.getTime() - row.lastSeenAt.getTime() >= TOUCH_AFTER_MS) {
        const idle = Math.min(now.getTime() + deps.timeouts.idleSeconds * 1000, row.expiresAt.getTime());
        deps.db.update(adminSessions).set({ lastSeenAt: now, idleExpiresAt: new Date(idle) }).where(eq(adminSessions.idHash, key)).run();
      }
      return { principal: toPrincipal(row) };
    },

    /** Ends a session (sign-out), inside the transaction that audits it. */
    end(tx: Tx, sessionKey: string): boolean {
      return sqliteOf(tx).delete(adminSessions).where(eq(adminSessions.idHash, sessionKey)).run().changes === 1;
    },
  };
}

export type AdminSessions = ReturnType<typeof createAdminSessions>;
