import { html } from 'hono/html';
import type { AdminPrincipal } from '../sessions.js';
import { layout, utc } from './layout.js';

export interface RevokeSubjectView {
  admin: AdminPrincipal;
  /** The values typed, echoed back (after a refusal, so they can be corrected). */
  form: { subject: string; before: string };
  error?: string | undefined;
  /** What was just done. */
  done?: { subject: string; cutoff: Date; pairwiseSubjects: number } | undefined;
}

function result(done: NonNullable<RevokeSubjectView['done']>) {
  const pairwise = done.pairwiseSubjects === 0 ? '' : html`, and every token of its ${done.pairwiseSubjects} pairwise subject${done.pairwiseSubjects === 1 ? '' : 's'}`;
  return html`<section class="panel status-ok" role="status" aria-labelledby="done-h">
  <h2 id="done-h">Revoked</h2>
  <p><strong>Every token of <span class="mono">${done.subject}</span> issued before ${utc(done.cutoff)} is revoked</strong>${pairwise}.
  Launch codes not yet redeemed for them can no longer be.</p>
  <p><a href="/admin/audit?${new URLSearchParams({ subject: done.subject }).toString()}">Audit rows of this subject</a></p>
</section>`;
}

/** The console's subject-wide revocation: one form (role `admin`), and what the last submission did. */
export function renderRevokeSubject(v: RevokeSubjectView) {
  const body = html`
<p><a href="/admin/audit">← Audit log</a></p>
<h1>Revoke every token of a subject</h1>
${v.done ? result(v.done) : ''}
${v.error ? html`<p class="error" role="alert">${v.error}</p>` : ''}
<form class="panel" method="post" action="/admin/revoke" aria-labelledby="revoke-h">
  <h2 id="revoke-h">Subject and cutoff</h2>
  <p>For an offboarded student or a compromised account. Every token of this subject issued before the cutoff stops
  working at once, on every instance: introspection answers inactive, exchanges and calls through the upstream proxy
  are refused, and launch codes not yet redeemed are refused. The subject's pairwise identifiers (surveys with
  pairwise subjects) are reached too. Tokens issued after the cutoff, and new sign-ins, are not affected.</p>
  <input type="hidden" name="csrf_token" value="${v.admin.csrfToken}">
  <fieldset>
    <legend class="skip">Which tokens to revoke</legend>
    <div><label for="f-subject">Subject (<span class="mono">sub</span>, as in the audit log)</label><input id="f-subject" name="subject" type="text" value="${v.form.subject}" required maxlength="512" autocomplete="off"></div>
    <div><label for="f-before">Issued before (UTC; empty: now)</label><input id="f-before" name="before" type="datetime-local" step="1" value="${v.form.before}"></div>
  </fieldset>
  <div class="actions"><button type="submit">Revoke these tokens</button></div>
</form>`;
  return layout({ title: 'Revoke a subject', admin: v.admin, body });
}
