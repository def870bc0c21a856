import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ATTR } from '../../src/saml/constants.js';
import { TestIdp, aliceAttributes, toB64url } from '../support/saml/idp-signer.js';
import { testKeyPair, type TestKeyPair } from '../support/saml/keys.js';
import { entityXml } from '../support/saml/metadata-fixtures.js';
import { AUD, EXCHANGE, ISSUER, SECRETS, startTestService, type TestService } from '../helpers/service.js';

/** SAML assertions as subject tokens: RFC 8693 `…:token-type:saml2` and the RFC 7522 saml2-bearer grant. */
const IDP = 'https://idp.univ.edu/idp/shibboleth';
const SAML2 = 'urn:ietf:params:oauth:token-type:saml2';
const TOKEN_ENDPOINT = `${ISSUER}/token`;
const alpha: [string, string] = ['alpha', SECRETS.alpha];

let key: TestKeyPair;
let s: TestService;
let idp: TestIdp;
beforeAll(async () => {
  key = await testKeyPair('e2e-idp');
});
afterEach(() => s.stop());

async function start(grantTypes = ['client_credentials', EXCHANGE, 'urn:ietf:params:oauth:grant-type:saml2-bearer'], alphaExtra: Record<string, unknown> = {}) {
  const startAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  s = await startTestService({
    startAt,
    overrides: (dir) => {
      const metadata = join(dir, 'idp.xml');
      writeFileSync(metadata, entityXml({ entityId: IDP, signingCertPem: key.certPem, scopes: [{ value: 'univ.edu' }] }));
      return {
        saml: { keys_dir: join(dir, 'certs') },
        idps: [{ id: 'shib', metadata: { file: metadata }, signed: 'assertion', subject: { source: 'subject-id' } }],
        clients: [
          { id: 'alpha', auth: { method: 'client_secret_basic', secret_env: 'ALPHA_SECRET' }, audiences: [AUD.sis, AUD.reports], scopes: ['student.read', 'enrollment.read'], grant_types: grantTypes, release: ['displayName'], ...alphaExtra },
        ],
      };
    },
  });
  idp = new TestIdp({
    entityId: IDP,
    key,
    sp: { entityId: `${ISSUER}/saml/metadata`, acsUrl: `${ISSUER}/saml/acs`, encryptionCertPem: key.certPem },
    clock: s.clock,
    attributes: aliceAttributes(),
  });
}

async function post(form: Record<string, string>) {
  const res = await s.post('/token', form, alpha);
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('SAML 2.0 assertions as subject tokens', () => {
  it('exchanges a saml2 subject token (RFC 8693) for a scoped JWT, once', async () => {
    await start();
    const assertion = toB64url(idp.bearerAssertion(TOKEN_ENDPOINT));
    const form = { grant_type: EXCHANGE, subject_token: assertion, subject_token_type: SAML2, audience: AUD.sis, scope: 'student.read' };
    const r = await post(form);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ access_token: expect.any(String), issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 300 });
    const claims = decodeJwt(r.body.access_token!);
    expect(claims).toMatchObject({ sub: 'alice1234@univ.edu', aud: AUD.sis, scope: 'student.read', client_id: 'alpha', displayName: 'Alice Example' });
    expect(claims.mail).toBeUndefined();
    expect(JSON.parse(s.lastAudit().data!)).toEqual({ grant_type: EXCHANGE, subject_token_type: SAML2, subject_token: expect.stringMatching(/^[\w-]{43}$/), expires_in: 300 });

    const replay = await post(form);
    expect(replay).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'grant request is invalid' } });
    expect(s.lastAudit().reason).toMatch(/^saml assertion refused: replayed/);
  });

  it('accepts the RFC 7522 saml2-bearer grant', async () => {
    await start();
    const r = await post({ grant_type: 'urn:ietf:params:oauth:grant-type:saml2-bearer', assertion: toB64url(idp.bearerAssertion(TOKEN_ENDPOINT)), audience: AUD.reports });
    expect(r.status).toBe(200);
    expect(decodeJwt(r.body.access_token!)).toMatchObject({ sub: 'alice1234@univ.edu', aud: AUD.reports, scope: 'student.read enrollment.read' });
    expect(r.body.scope).toBe('student.read enrollment.read');
  });

  const refusals: [string, () => string, RegExp][] = [
    ['an assertion for the ACS, not the token endpoint', () => toB64url(idp.bearerAssertion(`${ISSUER}/saml/acs`)), /^saml assertion refused: recipient_mismatch/],
    ['an unsigned assertion', () => toB64url(idp.bearerAssertion(TOKEN_ENDPOINT, {}, false)), /^saml assertion refused: signature_missing/],
    ['an assertion from an unknown IdP', () => toB64url(idp.bearerAssertion(TOKEN_ENDPOINT, { issuer: 'https://evil.example/idp' })), /^saml assertion refused: unknown_issuer/],
    ['an assertion with a foreign scope', () => toB64url(idp.bearerAssertion(TOKEN_ENDPOINT, { attributes: [{ name: ATTR.subjectId, values: ['mallory@other.edu'] }] })), /^saml assertion refused: (scope_violation|subject_missing)/],
    ['garbage', () => 'not base64 !!', /^saml assertion refused: malformed_base64/],
  ];
  for (const [name, build, reason] of refusals) {
    it(`refuses ${name} with invalid_grant and the reason in the audit row`, async () => {
      await start();
      const r = await post({ grant_type: EXCHANGE, subject_token: build(), subject_token_type: SAML2, audience: AUD.sis });
      expect(r).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'grant request is invalid' } });
      expect(s.lastAudit()).toMatchObject({ event: 'token.issue', outcome: 'refused', clientId: 'alpha' });
      expect(s.lastAudit().reason).toMatch(reason);
    });
  }

  it('refuses a two-hour-old assertion still inside its validity window, as a subject token and as an RFC 7522 grant', async () => {
    await start();
    const now = s.clock.now().getTime();
    const stale = () => toB64url(idp.bearerAssertion(TOKEN_ENDPOINT, {
      issueInstant: new Date(now - 7_200_000),
      conditions: { notBefore: new Date(now - 7_200_000), notOnOrAfter: new Date(now + 3_600_000), audiences: [[`${ISSUER}/saml/metadata`]] },
    }));
    const forms: Record<string, string>[] = [
      { grant_type: EXCHANGE, subject_token: stale(), subject_token_type: SAML2, audience: AUD.sis },
      { grant_type: 'urn:ietf:params:oauth:grant-type:saml2-bearer', assertion: stale(), audience: AUD.sis },
    ];
    for (const form of forms) {
      expect(await post(form)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'grant request is invalid' } });
      expect(s.lastAudit()).toMatchObject({
        event: 'token.issue', outcome: 'refused', clientId: 'alpha',
        reason: `saml assertion refused: assertion_too_old: IssueInstant ${new Date(now - 7_200_000).toISOString()} is more than 300 s (+ 60 s skew) old`,
      });
    }
  });

  it("gets the client's default_audience when the request names no audience (RFC 9068 §3), for both grants", async () => {
    await start(undefined, { default_audience: AUD.reports });
    const bearer = await post({ grant_type: 'urn:ietf:params:oauth:grant-type:saml2-bearer', assertion: toB64url(idp.bearerAssertion(TOKEN_ENDPOINT)), scope: 'enrollment.read' });
    expect(bearer.status).toBe(200);
    const claims = decodeJwt(bearer.body.access_token!);
    expect(claims).toMatchObject({ sub: 'alice1234@univ.edu', aud: AUD.reports, client_id: 'alpha', scope: 'enrollment.read' });
    expect(s.lastAudit()).toMatchObject({ event: 'token.issue', outcome: 'success', clientId: 'alpha', subject: 'alice1234@univ.edu', audience: AUD.reports, scope: 'enrollment.read', jti: claims.jti });

    const exchanged = await post({ grant_type: EXCHANGE, subject_token: toB64url(idp.bearerAssertion(TOKEN_ENDPOINT)), subject_token_type: SAML2 });
    expect(exchanged.status).toBe(200);
    expect(decodeJwt(exchanged.body.access_token!)).toMatchObject({ aud: AUD.reports, scope: 'student.read enrollment.read' });
    expect(s.lastAudit()).toMatchObject({ outcome: 'success', audience: AUD.reports });
  });

  it('refuses a SAML grant without audience with invalid_target when the client has no default', async () => {
    await start();
    const r = await post({ grant_type: 'urn:ietf:params:oauth:grant-type:saml2-bearer', assertion: toB64url(idp.bearerAssertion(TOKEN_ENDPOINT)) });
    expect(r).toEqual({ status: 400, body: { error: 'invalid_target', error_description: 'an audience or resource is required: this client has no default audience' } });
    expect(s.lastAudit()).toMatchObject({ event: 'token.issue', outcome: 'refused', clientId: 'alpha', reason: 'no audience or resource requested, none from the subject, and client alpha has no default_audience' });
  });

  it('refuses the saml2-bearer grant to a client not configured for it', async () => {
    await start(['client_credentials', EXCHANGE]);
    const r = await post({ grant_type: 'urn:ietf:params:oauth:grant-type:saml2-bearer', assertion: toB64url(idp.bearerAssertion(TOKEN_ENDPOINT)) });
    expect(r).toEqual({ status: 400, body: { error: 'unauthorized_client', error_description: 'the client may not use this grant type' } });
  });
});
