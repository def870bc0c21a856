import type { Context } from 'hono';
import type { AuditEvent } from '../audit/events.js';
import { withRefusalAudit } from '../audit/refusal.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AppEnv } from './env.js';
import { PAGE_CSP, renderNotice } from './pages.js';

export interface RefusalText {
  title: string;
  message: string;
  whatToDo: string;
}

/**
 * A refusal in a browser flow: answered with a friendly page (never a stack trace), and recorded in the audit
 * log. `audit` is the row still to write; it is absent when the row was already written in the transaction
 * of the change (e.g. a policy refusal that consumed the pending login).
 */
export class BrowserRefusal extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 413,
    readonly text: RefusalText,
    readonly reason: string,
    readonly audit?: AuditEvent,
  ) {
    super(reason);
  }
}

/** The one HTML refusal page: what happened and what to do, the request id as the help desk's reference. */
export function refusalPage<E extends AppEnv>(c: Context<E>, status: 200 | 400 | 401 | 403 | 404 | 413, text: RefusalText): Response | Promise<Response> {
  c.header('Content-Security-Policy', PAGE_CSP);
  c.header('Cache-Control', 'no-store');
  return c.html(renderNotice({ ...text, correlationId: c.get('requestId') }), status);
}

/**
 * Runs a browser flow (sign-in, launch, console sign-in): a BrowserRefusal it throws gets its unwritten audit
 * row written (the one refusal-audit wrapper) and is answered with the refusal page.
 */
export async function browserFlow<E extends AppEnv>(c: Context<E>, deps: { audit: AuditLog }, work: () => Promise<Response>): Promise<Response> {
  try {
    return await withRefusalAudit(deps, (err) => (err instanceof BrowserRefusal ? err.audit : undefined), work);
  } catch (err) {
    if (err instanceof BrowserRefusal) return refusalPage(c, err.status, err.text);
    throw err;
  }
}
