import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv } from '../http/env.js';
import { ADMIN_COOKIE, csrfPasses, isUnsafeMethod } from './require-admin.js';
import { adminRefusalResponse, type AdminRefusal } from './responses.js';
import { roleSatisfies } from './roles.js';
import type { AdminSessions } from './sessions.js';

/** What the console gate concludes about a request (the upstream feature's `AdminGate` port, seen from here). */
export type ConsoleVerdict =
  | { actor: string; csrfToken: string; via: 'session' }
  | { refused: 'login_required'; why: 'none' | 'unknown' | 'idle' | 'expired' }
  | { refused: 'forbidden'; subject: string }
  | { refused: 'csrf'; subject: string };

export type ConsoleRefused = Extract<ConsoleVerdict, { refused: string }>;

/** A console refusal at the upstream connect endpoints, answered as the console answers it (`adminRefusalResponse`). */
export function answerConsoleRefusal(c: Context<AppEnv>, verdict: ConsoleRefused): Response | Promise<Response> {
  return adminRefusalResponse(c, consoleRefusal(verdict));
}

function consoleRefusal(verdict: ConsoleRefused): AdminRefusal {
  switch (verdict.refused) {
    case 'login_required':
      return { kind: 'login_required', why: verdict.why };
    case 'forbidden':
      return { kind: 'forbidden', need: 'admin' };
    case 'csrf':
      return { kind: 'csrf' };
  }
}

/**
 * The admin gate backed by console sessions: a live session (cookie `ADMIN_COOKIE`) with role
 * `admin`; the actor in the audit rows is the principal's subject. State-changing requests must also pass the
 * console's CSRF checks (`csrfPasses`, shared with `requireAdmin`): the session's synchronizer token as
 * `X-CSRF-Token` or as the `csrf_token` field of the form the route already read, and Sec-Fetch-Site / Origin,
 * when sent, naming the issuer's origin. `enabled`: whether anyone can be given the `admin` role.
 */
export function createSessionAdminGate(deps: { sessions: Pick<AdminSessions, 'resume'>; origin: string; enabled: boolean }) {
  return {
    enabled: deps.enabled,
    async check(c: Context<AppEnv>, form: { single(name: string): string | undefined } | undefined): Promise<ConsoleVerdict> {
      const found = await deps.sessions.resume(getCookie(c, ADMIN_COOKIE));
      if ('missing' in found) return { refused: 'login_required', why: found.missing };
      const admin = found.principal;
      if (!roleSatisfies(admin.role, 'admin')) return { refused: 'forbidden', subject: admin.subject };
      if (isUnsafeMethod(c.req.method)) {
        const evidence = { secFetchSite: c.req.header('sec-fetch-site'), origin: c.req.header('origin'), token: c.req.header('x-csrf-token') ?? form?.single('csrf_token') };
        if (!csrfPasses(evidence, admin.csrfToken, deps.origin)) return { refused: 'csrf', subject: admin.subject };
      }
      return { actor: admin.subject, csrfToken: admin.csrfToken, via: 'session' };
    },
  };
}
