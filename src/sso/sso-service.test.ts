// The SSO service over the real SAML engine (signed test responses), the real pending-login store and audit log:
// a login bound to the browser that started it, consumed once, finished by purpose in one transaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256b64u } from '../core/hash.js';
import { BrowserRefusal } from '../http/browser-refusal.js';
import { toB64 } from '../../test/support/saml/idp-signer.js';
import { createSamlWorld, type SamlWorld } from '../../test/support/saml/world.js';
import { openTokenPath, type TokenPath } from '../../test/support/token-path.js';
import { createPendingLogins } from './pending-logins.js';
import { PENDING_CONSUMED, createSsoService, type SsoService } from './sso-service.js';

let w: SamlWorld;
let p: TokenPath;
let sso: SsoService;
beforeAll(async () => {
  [w, p] = await Promise.all([createSamlWorld(), openTokenPath()]);
  sso = createSsoService({ sp: w.provider, pending: createPendingLogins(p.database.db), audit: p.audit, clock: w.clock, loginTtlSeconds: 300 });
});
afterAll(() => p.close());

const SUBJECT = 'hk3p5q2zlz7jpzhcv5h3atbieq3euhht@univ.edu';
const rowsFrom = (n: number) => p.auditRows().slice(n);

/** Starts a login in the browser holding `nonce`; returns the IdP's signed answer to it. */
async function loginIn(nonce: string, purpose: 'launch' | 'login' | 'admin' = 'launch', target = 'course-eval') {
  const url = new URL(await sso.startLogin({ idpId: 'shib', purpose, target, browserNonce: nonce, requestId: 'req-start' }));
  const requestId = p.database.sqlite.prepare('SELECT id FROM saml_requests ORDER BY created_at DESC, rowid DESC LIMIT 1').pluck().get() as string;
  return { url, response: toB64(await w.idps.shib.response({ requestId, sign: 'response' })), requestId };
}

describe('startLogin', () => {
  it('redirects to the IdP and remembers the request bound to the hash of the browser nonce, and the starting request, with a saml.start row', async () => {
    const before = p.auditRows().length;
    const { url, requestId } = await loginIn('nonce-a');
    expect(url.origin + url.pathname).toBe('https://idp.univ.edu/idp/SSO/Redirect');
    expect(url.searchParams.has('SAMLRequest')).toBe(true);
    const now = w.clock.now();
    expect(await createPendingLogins(p.database.db).find(requestId, sha256b64u('nonce-a'))).toEqual({
      id: requestId, idpId: 'shib', bindingHash: sha256b64u('nonce-a'), purpose: 'launch', target: 'course-eval', startRequestId: 'req-start', createdAt: now, expiresAt: new Date(now.getTime() + 300_000),
    });
    expect(rowsFrom(before)).toEqual([{ event: 'saml.start', outcome: 'success', requestId: 'req-start', data: { idp: 'shib', purpose: 'launch', survey: 'course-eval' } }]);
  });
});

describe('acceptResponse: bound to the browser', () => {
  it('accepts the answer in the browser that started the login', async () => {
    const { response, requestId } = await loginIn('nonce-b');
    const accepted = await sso.acceptResponse(response, 'nonce-b', 'req-acs');
    expect({ subject: accepted.login.subject, pending: accepted.pending?.id, bindingHash: accepted.bindingHash }).toEqual({ subject: SUBJECT, pending: requestId, bindingHash: sha256b64u('nonce-b') });
  });

  it.each([['another browser', 'nonce-other'], ['no login cookie', undefined]])('refuses it from %s as in_response_to_mismatch', async (_n, nonce) => {
    const { response } = await loginIn('nonce-c');
    const err = await sso.acceptResponse(response, nonce, 'req-acs').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrowserRefusal);
    const refusal = err as BrowserRefusal;
    const reason = 'in_response_to_mismatch: InResponseTo is not a pending login of this browser';
    expect({ status: refusal.status, title: refusal.text.title, reason: refusal.reason, audit: refusal.audit }).toEqual({
      status: 400,
      title: 'This sign-in was not started here',
      reason,
      audit: { event: 'saml.login', outcome: 'refused', requestId: 'req-acs', reason, data: {} },
    });
  });
});

describe('acceptResponse: a late answer is told apart from one never asked for', () => {
  it('refuses a verified answer that came after login_ttl as login_expired, attributed to its start, survey and subject', async () => {
    const { response } = await loginIn('nonce-late');
    const started = w.clock.now();
    w.clock.advance(300_000);
    try {
      const err = await sso.acceptResponse(response, 'nonce-late', 'req-acs').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BrowserRefusal);
      const refusal = err as BrowserRefusal;
      const reason = `login_expired: answered after the sign-in expired at ${new Date(started.getTime() + 300_000).toISOString()} (login_ttl 300 s)`;
      expect({ status: refusal.status, title: refusal.text.title, reason: refusal.reason, audit: refusal.audit }).toEqual({
        status: 400,
        title: 'Your sign-in took too long',
        reason,
        audit: { event: 'saml.login', outcome: 'refused', requestId: 'req-acs', subject: SUBJECT, reason, data: { idp: 'shib', purpose: 'launch', survey: 'course-eval', start_request: 'req-start' } },
      });
    } finally {
      w.clock.advance(-300_000);
    }
  });

  it('answers the same late response in another browser as not started here', async () => {
    const { response } = await loginIn('nonce-late-2');
    w.clock.advance(300_000);
    try {
      const refusal = (await sso.acceptResponse(response, 'nonce-other', 'req-acs').catch((e: unknown) => e)) as BrowserRefusal;
      expect([refusal.text.title, refusal.reason]).toEqual(['This sign-in was not started here', 'in_response_to_mismatch: InResponseTo is not a pending login of this browser']);
    } finally {
      w.clock.advance(-300_000);
    }
  });
});

describe('finishLogin: one completion path, by purpose', () => {
  it('consumes the pending login, writes saml.login with the purpose, and runs the work in that transaction', async () => {
    const { response } = await loginIn('nonce-d', 'admin', '/admin');
    const accepted = await sso.acceptResponse(response, 'nonce-d', 'req-acs');
    const before = p.auditRows().length;
    const data = { idp: 'shib', assertion: sha256b64u(accepted.login.assertionId), purpose: 'admin', start_request: 'req-start' };
    const result = await sso.finishLogin(accepted, 'req-acs', { purpose: 'admin' }, async (tx, rowData) => {
      await p.audit.append(tx, { event: 'admin.login', outcome: 'success', requestId: 'req-acs', subject: SUBJECT, data: { idp: rowData.idp, role: 'auditor' } });
      return rowData;
    });
    expect(result).toEqual(data);
    expect(rowsFrom(before)).toEqual([
      { event: 'saml.login', outcome: 'success', requestId: 'req-acs', subject: SUBJECT, data },
      { event: 'admin.login', outcome: 'success', requestId: 'req-acs', subject: SUBJECT, data: { idp: 'shib', role: 'auditor' } },
    ]);
  });

  it('finishes a pending login once: a second completion is the replayed refusal and writes nothing', async () => {
    const { response } = await loginIn('nonce-e', 'launch', 'course-eval');
    const accepted = await sso.acceptResponse(response, 'nonce-e', 'req-acs');
    await sso.finishLogin(accepted, 'req-acs', { purpose: 'launch', survey: 'course-eval' }, async () => 'first');
    const before = p.auditRows().length;
    const err = await sso.finishLogin(accepted, 'req-acs-2', { purpose: 'launch', survey: 'course-eval' }, async () => 'second', 'Sign in again.').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrowserRefusal);
    expect({ status: (err as BrowserRefusal).status, reason: (err as BrowserRefusal).reason, whatToDo: (err as BrowserRefusal).text.whatToDo, audit: (err as BrowserRefusal).audit }).toEqual({
      status: 400,
      reason: `replayed: ${PENDING_CONSUMED}`,
      whatToDo: 'Sign in again.',
      audit: {
        event: 'saml.login', outcome: 'refused', requestId: 'req-acs-2', subject: SUBJECT, reason: `replayed: ${PENDING_CONSUMED}`,
        data: { idp: 'shib', assertion: sha256b64u(accepted.login.assertionId), purpose: 'launch', survey: 'course-eval', start_request: 'req-start' },
      },
    });
    expect(rowsFrom(before)).toEqual([]);
  });

  it("rolls the consumption back with the purpose's own refusal: the pending login can still be finished", async () => {
    const { response } = await loginIn('nonce-f', 'login', '/');
    const accepted = await sso.acceptResponse(response, 'nonce-f', 'req-acs');
    const before = p.auditRows().length;
    await expect(sso.finishLogin(accepted, 'req-acs', { purpose: 'login' }, async () => Promise.reject(new Error('purpose refused')))).rejects.toThrow('purpose refused');
    expect(rowsFrom(before)).toEqual([]);
    await expect(sso.finishLogin(accepted, 'req-acs', { purpose: 'login' }, async () => 'done')).resolves.toBe('done');
  });
});
