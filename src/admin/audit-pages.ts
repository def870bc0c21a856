import { Hono, type Context } from 'hono';
import { parseAuditFilter, parsePageRequest, type AuditFilter, type AuditPage } from '../audit/query.js';
import type { Activity } from '../audit/activity.js';
import { ChainBroken } from '../audit/checkpoints.js';
import { readActivity } from '../audit/reader.js';
import { OAuthError } from '../core/oauth-errors.js';
import type { AppEnv } from '../http/env.js';
import { PAGE_CSP, renderNotice } from '../http/pages.js';
import { browserFlow } from '../http/browser-refusal.js';
import type { AdminLogin, AdminSignIn } from './admin-login.js';
import { loadRowWithCorrelation, type AuditReviewDeps } from './audit-api.js';
import type { AdminEnv, RequireAdmin } from './require-admin.js';
import { ADMIN_CSP } from './views/layout.js';
import { renderAuditDetail } from './views/audit-detail.js';
import { renderAuditList } from './views/audit-list.js';

const FORM_KEYS = ['from', 'to', 'subject', 'survey', 'client', 'audience', 'event', 'outcome', 'request_id', 'jti'];
const NOTICES: Record<string, string> = {
  verified: 'The whole chain was verified just now (see the status below).',
  checkpoint: 'A signed checkpoint of the chain head was made.',
  'checkpoint-empty': 'The log is empty: there is nothing to sign yet.',
};

function page(c: Context<AdminEnv>, body: ReturnType<typeof renderAuditList>, status: 200 | 400 | 404 = 200) {
  c.header('Content-Security-Policy', ADMIN_CSP);
  c.header('Referrer-Policy', 'no-referrer');
  return c.html(body, status);
}

async function notice<E extends AppEnv>(c: Context<E>, status: 200 | 400 | 403 | 404 | 413, text: { title: string; message: string; whatToDo: string }) {
  c.header('Content-Security-Policy', PAGE_CSP);
  c.header('Cache-Control', 'no-store');
  return c.html(renderNotice({ ...text, correlationId: c.get('requestId') }), status);
}

/**
 * The review web page (server-rendered, no scripts): filters, a paginated table, one row with its
 * correlation, the chain status, exports; plus console sign-in and sign-out.
 */
export function auditPageRoutes(deps: AuditReviewDeps, requireAdmin: RequireAdmin, login: AdminLogin, signIn: AdminSignIn | undefined): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/admin/login', (c) => browserFlow(c, deps, () => login.start(c, signIn)))
    .get('/admin/signed-out', (c) => notice(c, 200, { title: 'Signed out', message: 'You are signed out of the campus-sts console.', whatToDo: 'Close this tab, or sign in again at /admin/login.' }))
    .post('/admin/logout', requireAdmin('auditor'), (c) => login.logout(c, c.get('admin')))
    .get('/admin', requireAdmin('auditor'), (c) => c.redirect('/admin/audit', 303))
    .get('/admin/audit', requireAdmin('auditor'), async (c) => {
      const params = new URL(c.req.url).searchParams;
      const form = Object.fromEntries(FORM_KEYS.map((k) => [k, params.get(k) ?? '']));
      let filter: AuditFilter = {};
      let error: string | undefined;
      let rows: AuditPage = { rows: [], nextCursor: undefined };
      let activity: Activity | undefined;
      const noticeKey = params.get('done');
      params.delete('done');
      try {
        filter = parseAuditFilter(params);
        rows = await deps.reader.page(filter, { ...parsePageRequest(params), order: 'desc' });
        activity = await readActivity(deps.reader, filter);
      } catch (err) {
        if (!(err instanceof OAuthError)) throw err;
        error = `Check the filters: ${err.description}.`;
      }
      const status = await deps.monitor.current();
      const view = renderAuditList({
        admin: c.get('admin'),
        filter,
        form,
        error,
        rows: rows.rows,
        activity,
        nextCursor: rows.nextCursor,
        isFirstPage: !params.get('cursor'),
        status,
        checkpoint: await deps.checkpoints.latest(),
        notice: noticeKey ? NOTICES[noticeKey] : undefined,
      });
      return page(c, view, error ? 400 : 200);
    })
    .get('/admin/audit/events/:id{[0-9]+}', requireAdmin('auditor'), async (c) => {
      const found = await loadRowWithCorrelation(deps, Number(c.req.param('id')));
      if (!found) return notice(c, 404, { title: 'No such row', message: 'The audit log has no row with this number (it may have been pruned).', whatToDo: 'Go back to the audit log.' });
      return page(c, renderAuditDetail({ admin: c.get('admin'), ...found }));
    })
    .post('/admin/audit/verify', requireAdmin('auditor'), async (c) => {
      await deps.monitor.refresh();
      return c.redirect('/admin/audit?done=verified', 303);
    })
    .post('/admin/audit/checkpoints', requireAdmin('admin'), async (c) => {
      try {
        const cp = await deps.checkpoints.create('console', { subject: c.get('admin').subject, requestId: c.get('requestId') });
        return c.redirect(`/admin/audit?done=${cp ? 'checkpoint' : 'checkpoint-empty'}`, 303);
      } catch (err) {
        if (!(err instanceof ChainBroken)) throw err;
        return notice(c, 400, { title: 'No checkpoint signed', message: `The chain does not verify, so it was not signed: ${err.message}.`, whatToDo: 'Investigate the broken row before signing anything.' });
      }
    });
}
