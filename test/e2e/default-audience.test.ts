import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { AT_TYPE, AUD, EXCHANGE, SECRETS, startTestService, testConfig, type TestService } from '../helpers/service.js';

/**
 * RFC 9068 §3: a token request without `resource`/`audience` gets a default audience — the subject token's own
 * (for an exchange, where the client may receive it), else `clients[].default_audience`, which defaults to the
 * client's only audience. With none, RFC 8707 §2 lets the server require the parameter: `invalid_target`.
 */
let s: TestService;
afterEach(() => s.stop());

const alpha: [string, string] = ['alpha', SECRETS.alpha];
/** beta authenticates with client_secret_post. */
const beta = { client_id: 'beta', client_secret: SECRETS.beta };

const alphaClient = { id: 'alpha', auth: { method: 'client_secret_basic', secret_env: 'ALPHA_SECRET' }, audiences: [AUD.sis, AUD.reports, 'beta'], scopes: ['student.read', 'enrollment.read', 'grades.read'] };
const betaClient = { id: 'beta', auth: { method: 'client_secret_post', secret_env: 'BETA_SECRET' }, audiences: [AUD.reports], scopes: ['student.read', 'enrollment.read'] };

/** alpha (three audiences) with a `default_audience`, and beta. */
function withAlphaDefault(defaultAudience: string) {
  return { clients: [{ ...alphaClient, default_audience: defaultAudience }, betaClient] };
}

describe('default audience (RFC 9068 §3)', () => {
  it('client_credentials without audience gets the configured default_audience', async () => {
    s = await startTestService({ overrides: withAlphaDefault(AUD.reports) });
    const res = await s.post('/token', { grant_type: 'client_credentials', scope: 'student.read' }, alpha);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 120 });
    const claims = decodeJwt(body.access_token as string);
    expect(claims).toMatchObject({ sub: 'alpha', aud: AUD.reports, client_id: 'alpha', scope: 'student.read' });
    expect(s.lastAudit()).toMatchObject({ event: 'token.issue', outcome: 'success', clientId: 'alpha', subject: 'alpha', audience: AUD.reports, scope: 'student.read', jti: claims.jti, reason: null });
  });

  it("client_credentials without audience gets the client's only audience", async () => {
    s = await startTestService();
    const res = await s.post('/token', { grant_type: 'client_credentials', ...beta });
    expect(res.status).toBe(200);
    const claims = decodeJwt(((await res.json()) as { access_token: string }).access_token);
    expect(claims).toMatchObject({ sub: 'beta', aud: AUD.reports, scope: 'student.read enrollment.read' });
    expect(s.lastAudit()).toMatchObject({ outcome: 'success', clientId: 'beta', audience: AUD.reports });
  });

  it("a token exchange whose subject audience the client may not receive gets the client's default", async () => {
    s = await startTestService();
    // alpha obtains a token for beta (audience "beta"); beta exchanges it without naming an audience.
    const issued = await s.post('/token', { grant_type: 'client_credentials', audience: 'beta' }, alpha);
    const subject = ((await issued.json()) as { access_token: string }).access_token;
    const res = await s.post('/token', { grant_type: EXCHANGE, subject_token: subject, subject_token_type: AT_TYPE, ...beta });
    expect(res.status).toBe(200);
    const claims = decodeJwt(((await res.json()) as { access_token: string }).access_token);
    expect(claims).toMatchObject({ sub: 'alpha', aud: AUD.reports, client_id: 'beta', scope: 'student.read' });
    expect(s.lastAudit()).toMatchObject({ event: 'token.issue', outcome: 'success', clientId: 'beta', subject: 'alpha', audience: AUD.reports, scope: 'student.read', jti: claims.jti });
  });

  it('a token exchange keeps the subject token’s own audience over the client default', async () => {
    s = await startTestService({ overrides: withAlphaDefault(AUD.reports) });
    const issued = await s.post('/token', { grant_type: 'client_credentials', audience: AUD.sis, scope: 'grades.read' }, alpha);
    const subject = ((await issued.json()) as { access_token: string }).access_token;
    const res = await s.post('/token', { grant_type: EXCHANGE, subject_token: subject, subject_token_type: AT_TYPE }, alpha);
    expect(res.status).toBe(200);
    expect(decodeJwt(((await res.json()) as { access_token: string }).access_token)).toMatchObject({ aud: AUD.sis, scope: 'grades.read' });
    expect(s.lastAudit()).toMatchObject({ outcome: 'success', audience: AUD.sis });
  });

  it('refuses with invalid_target when there is no default, and audits why', async () => {
    s = await startTestService();
    const before = s.auditRows().length;
    const res = await s.post('/token', { grant_type: 'client_credentials' }, alpha);
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ error: 'invalid_target', error_description: 'an audience or resource is required: this client has no default audience' });
    const rows = s.auditRows();
    expect(rows).toHaveLength(before + 1);
    expect(rows.at(-1)).toMatchObject({
      event: 'token.issue',
      outcome: 'refused',
      clientId: 'alpha',
      subject: null,
      audience: null,
      jti: null,
      reason: 'no audience or resource requested, none from the subject, and client alpha has no default_audience',
    });
    expect(JSON.parse(rows.at(-1)!.data!)).toEqual({ grant_type: 'client_credentials', error: 'invalid_target' });
  });
});

describe('clients[].default_audience in the configuration', () => {
  it('must be one of the client’s audiences', () => {
    let error: unknown;
    try {
      testConfig('/tmp/unused', { keys: [] }, { clients: [alphaClient, { ...betaClient, default_audience: AUD.sis }] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([`clients[1].default_audience: "${AUD.sis}" is not one of this client's audiences`]);
  });
});
