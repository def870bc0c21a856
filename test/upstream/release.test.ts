import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256b64u } from '../../src/core/hash.js';
import { basic } from '../helpers/service.js';
import { auditOf, CALLBACK, connectRecords, dataOf, RELEASE_CLIENT, startOidcUpstream, startWorldService, upstreamSecrets, vaultTokens, type OidcUpstream, type TestService } from './world.js';

/** Item 5: token release by RFC 8693 exchange, only to clients whose config allows it. */

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';

let up: OidcUpstream;
let s: TestService;
beforeAll(async () => {
  up = await startOidcUpstream({ redirectUris: [CALLBACK('records')] });
});
afterAll(() => up.stop());
beforeEach(async () => {
  s = await startWorldService(up);
});
afterEach(() => {
  const everything = JSON.stringify(s.auditRows()) + s.logs.join('');
  for (const t of upstreamSecrets(up)) expect(everything).not.toContain(t);
  s.stop();
});

async function token(form: Record<string, string>, who: [string, string] = [RELEASE_CLIENT.id, RELEASE_CLIENT.secret]) {
  const res = await s.app.request('http://127.0.0.1:8787/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(...who) },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

async function subjectToken(who: [string, string] = [RELEASE_CLIENT.id, RELEASE_CLIENT.secret]) {
  const r = await token({ grant_type: 'client_credentials', audience: 'other-api' }, who);
  expect(r.status).toBe(200);
  return r.body.access_token as string;
}

describe('token release (RFC 8693, audience = an upstream)', () => {
  it('hands an allowed client the upstream access token with its real remaining lifetime', async () => {
    const subject = await subjectToken();
    const r = await token({ grant_type: EXCHANGE, subject_token: subject, subject_token_type: AT, audience: 'sis' });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toEqual({ access_token: expect.any(String), issued_token_type: AT, token_type: 'Bearer', expires_in: 3600, scope: 'records:read records:write' });
    // It is the upstream's own token: the resource server accepts it directly.
    const direct = await fetch(`${up.apiBase}/students/S2002`, { headers: { authorization: `Bearer ${r.body.access_token as string}` } });
    expect(direct.status).toBe(200);
    const row = auditOf(s, 'token.issue')[0]!;
    expect(row).toMatchObject({ outcome: 'success', clientId: RELEASE_CLIENT.id, subject: RELEASE_CLIENT.id, audience: 'sis', jti: `sha256:${sha256b64u(r.body.access_token as string)}` });
    expect(dataOf(row)).toEqual({ grant_type: EXCHANGE, subject_token_type: AT, subject_token: decodeJwt(subject).jti, expires_in: 3600, upstream: 'sis' });
    // Time passes on our clock: the same token, with what is left of its life.
    s.clock.advance(1000_000);
    const later = await token({ grant_type: EXCHANGE, subject_token: await subjectToken(), subject_token_type: AT, audience: 'sis' });
    expect(later.body).toMatchObject({ access_token: r.body.access_token, expires_in: 2600 });
  });

  it('releases an admin-connected upstream (refreshed first when due)', async () => {
    await connectRecords(s);
    s.clock.advance(3590_000);
    const r = await token({ grant_type: EXCHANGE, subject_token: await subjectToken(), subject_token_type: AT, audience: 'records' });
    expect(r.status).toBe(200);
    expect(r.body.expires_in).toBe(3600);
    expect(r.body.access_token).toBe((await vaultTokens(s, 'records'))!.accessToken);
    expect(up.grants.refresh_token).toBeGreaterThanOrEqual(1);
  });

  const refusals: [string, Record<string, string>, [string, string] | undefined, number, Record<string, string>][] = [
    ['a client not allowed to receive it', { audience: 'sis' }, ['survey-backend', 'survey-backend-secret'], 200, {}],
    ['a second target alongside', { audience: 'sis', resource: 'https://records.campus.test/api' }, undefined, 400, { error: 'invalid_target', error_description: 'an upstream token is released for exactly one audience or resource' }],
    ['a scope the upstream token lacks', { audience: 'sis', scope: 'records:admin' }, undefined, 400, { error: 'invalid_scope', error_description: 'the requested scope is not allowed' }],
    ['another token type', { audience: 'sis', requested_token_type: 'urn:ietf:params:oauth:token-type:jwt' }, undefined, 400, { error: 'invalid_request', error_description: 'requested_token_type is not supported for an upstream token' }],
    ['an unconnected upstream', { audience: 'records' }, undefined, 503, { error: 'temporarily_unavailable', error_description: 'the upstream account is not connected; an administrator must connect it' }],
  ];
  for (const [name, extra, who, status, body] of refusals) {
    it(`refuses ${name}`, async () => {
      const r = await token({ grant_type: EXCHANGE, subject_token: await subjectToken(who), subject_token_type: AT, ...extra }, who);
      if (status === 200) {
        // survey-backend may have our JWT for the proxy (sis is one of its audiences), never the upstream's token.
        expect(r.status).toBe(200);
        expect(r.body.access_token).toMatch(/^eyJ/);
        expect(up.calls.map((c) => c.token)).not.toContain(r.body.access_token);
        return;
      }
      expect(r).toMatchObject({ status, body });
      expect(auditOf(s, 'token.issue')[0]).toMatchObject({ outcome: 'refused' });
    });
  }

  it('gives everyone else invalid_target', async () => {
    const r = await token({ grant_type: 'client_credentials', audience: 'sis' }, [RELEASE_CLIENT.id, RELEASE_CLIENT.secret]);
    // client_credentials never releases; sis is not among this client's audiences.
    expect(r).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    const unknown = await token({ grant_type: EXCHANGE, subject_token: await subjectToken(), subject_token_type: AT, audience: 'nope' });
    expect(unknown).toMatchObject({ status: 400, body: { error: 'invalid_target', error_description: 'the requested audience is not known' } });
  });
});
