import type { Context } from 'hono';
import { constantTimeEqual } from '../../core/hash.js';
import type { AppEnv } from '../../http/env.js';

/** The form a route has already read (the gate never reads the body itself: the routes read it raw, capped). */
export type GateForm = { single(name: string): string | undefined } | undefined;

/** What a gate concluded about one request. */
export type GateVerdict =
  /** An admin: `actor` names them in the audit rows; `csrfToken` is set when they are a console session. */
  | { actor: string; csrfToken?: string; via: 'session' | 'token' }
  /** No console session (none, unknown, or timed out). */
  | { refused: 'login_required'; why: 'none' | 'unknown' | 'idle' | 'expired' }
  /** A console session whose role is too weak (an auditor). */
  | { refused: 'forbidden'; subject: string }
  /** A console session, but a state-changing request failed the CSRF checks. */
  | { refused: 'csrf'; subject: string }
  /** The shared admin token was missing or wrong. */
  | { refused: 'token' };

/** The refusals only a console session gives (answered as the console answers them). */
export type ConsoleRefused = Exclude<Extract<GateVerdict, { refused: string }>, { refused: 'token' }>;

/**
 * Who may connect and disconnect upstream accounts over HTTP. Two implementations: admin console sessions
 * (role `admin`, signed in through the IdP; `createSessionAdminGate`), and the optional shared automation token
 * from `upstream_admin.token_env` / `token_file` (`createAdminTokenGate`), presented as `Authorization: Bearer …`
 * or as the `admin_token` form field (not a cookie: nothing ambient for CSRF to ride on). `combineAdminGates`
 * tries them in order.
 */
export interface AdminGate {
  /** Whether this request proves an admin. `form` is the body the route already parsed (unsafe methods only). */
  check(c: Context<AppEnv>, form: GateForm): Promise<GateVerdict>;
  /** Whether any admin can ever pass (false: the browser endpoints are off). */
  readonly enabled: boolean;
}

export function createAdminTokenGate(token: string | undefined): AdminGate {
  return {
    enabled: token !== undefined && token.length > 0,
    async check(c, form) {
      if (!token) return { refused: 'token' };
      const header = c.req.header('authorization');
      const bearer = header && /^Bearer +(\S+)$/i.exec(header)?.[1];
      const presented = bearer ?? form?.single('admin_token');
      return presented !== undefined && constantTimeEqual(presented, token) ? { actor: 'admin-token', via: 'token' } : { refused: 'token' };
    },
  };
}

/**
 * The gates in order (console session first): the first that admits the request decides. Otherwise the most
 * telling refusal: a session that exists but failed (role, CSRF) over a wrong token, over no session at all.
 */
export function combineAdminGates(...all: AdminGate[]): AdminGate {
  const gates = all.filter((g) => g.enabled);
  const rank = (v: GateVerdict) => ('refused' in v ? ({ forbidden: 3, csrf: 3, token: 2, login_required: 1 } as const)[v.refused] : 4);
  return {
    enabled: gates.length > 0,
    async check(c, form) {
      let best: GateVerdict = { refused: 'token' };
      let bestRank = 0;
      for (const gate of gates) {
        const verdict = await gate.check(c, form);
        if (!('refused' in verdict)) return verdict;
        // A token wrongly typed or absent is less telling than "no session" only when nothing was presented.
        const r = verdict.refused === 'token' && !presentsToken(c, form) ? 0 : rank(verdict);
        if (r > bestRank) [best, bestRank] = [verdict, r];
      }
      return best;
    },
  };
}

const presentsToken = (c: Context<AppEnv>, form: GateForm) => /^Bearer /i.test(c.req.header('authorization') ?? '') || form?.single('admin_token') !== undefined;
