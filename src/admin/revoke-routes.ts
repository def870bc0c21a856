import { Hono, type Context } from 'hono';
import { InvalidRequest } from '../core/oauth-errors.js';
import type { AppEnv } from '../http/env.js';
import { NO_STORE } from '../http/errors.js';
import { readForm } from '../http/read-form.js';
import { parseCutoff, type SubjectRevocation, type SubjectRevoked } from '../tokens/revoke-subject.js';
import type { AdminEnv, RequireAdmin } from './require-admin.js';
import { ADMIN_CSP } from './views/layout.js';
import { renderRevokeSubject, type RevokeSubjectView } from './views/revoke-subject.js';

/** Port: revokes every token of a subject (and its pairwise subjects) issued before a cutoff; compose/ binds it. */
export type RevokeSubjectPort = (req: SubjectRevocation) => Promise<SubjectRevoked>;

const MAX_FORM_BYTES = 4096;
/** What <input type=datetime-local step=1> sends: a time without zone, which the form labels UTC. */
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?$/;

/** The form's fields, as typed. */
async function readFields(c: Context<AdminEnv>): Promise<RevokeSubjectView['form']> {
  const params = await readForm(c, MAX_FORM_BYTES);
  return { subject: params.single('subject') ?? '', before: (params.single('before') ?? '').trim() };
}

/** The cutoff typed (none: now); a time without zone is read as UTC, as the console shows every time in UTC. */
const cutoffOf = (before: string): Date | undefined => (before === '' ? undefined : parseCutoff(LOCAL_TIME.test(before) ? `${before}Z` : before));

function revoke(c: Context<AdminEnv>, port: RevokeSubjectPort, subject: string, before: Date | undefined) {
  return port({ subject, before, actor: c.get('admin').subject, requestId: c.get('requestId') });
}

function page(c: Context<AdminEnv>, view: Omit<RevokeSubjectView, 'admin'>, status: 200 | 400 = 200) {
  c.header('Content-Security-Policy', ADMIN_CSP);
  c.header('Referrer-Policy', 'no-referrer');
  return c.html(renderRevokeSubject({ admin: c.get('admin'), ...view }), status);
}

/**
 * Subject-wide revocation in the console (role `admin`; the guard checks CSRF on every POST): the page and its
 * form, and the same as JSON under /admin/api for scripts. Audited by the port, with the admin as actor.
 */
export function revokeSubjectRoutes(port: RevokeSubjectPort, requireAdmin: RequireAdmin): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/admin/revoke', requireAdmin('admin'), (c) => page(c, { form: { subject: c.req.query('subject') ?? '', before: '' } }))
    .post('/admin/revoke', requireAdmin('admin'), async (c) => {
      const form = await readFields(c);
      try {
        const done = await revoke(c, port, form.subject, cutoffOf(form.before));
        return page(c, { form: { subject: '', before: '' }, done });
      } catch (err) {
        if (!(err instanceof InvalidRequest)) throw err;
        return page(c, { form, error: `Nothing was revoked. Check the form: ${err.description}.` }, 400);
      }
    })
    .post('/admin/api/revocations/subject', requireAdmin('admin'), async (c) => {
      const form = await readFields(c);
      const done = await revoke(c, port, form.subject, cutoffOf(form.before));
      return c.json({ subject: done.subject, cutoff: done.cutoff.toISOString(), pairwise_subjects: done.pairwiseSubjects }, 200, NO_STORE);
    });
}
