import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUD, basic, SECRETS, type TestService } from '../helpers/service.js';
import { startSurveyService } from '../helpers/survey-service.js';

/**
 * A refusal whose reason quotes what a client sent quotes it bounded (cut with a marker): however long the value,
 * the answer is the exact 4xx and the refusal is audited, never a 500 with no row.
 */
let s: TestService;
beforeAll(async () => {
  s = await startSurveyService();
});
afterAll(() => s.stop());

const LONG = 'x'.repeat(5000);
const longType = `text/${LONG}`;
const auth = basic('alpha', SECRETS.alpha);
const notForm = { error: 'invalid_request', error_description: 'the request body must be application/x-www-form-urlencoded' };
/** A value of 1,000–9,999 characters as recorded: 120 of them and how many more, 128 characters in all. */
const cutTo128 = (value: string) => `${value.slice(0, 120)}…(+${value.length - 120})`;
const cut = (prefix: string, value: string, suffix = '') => `${prefix}"${cutTo128(value)}"${suffix}`;

async function refused(res: Response, status: number, body: unknown, row: Record<string, unknown>) {
  expect(res.status).toBe(status);
  expect(await res.json()).toEqual(body);
  const last = s.lastAudit();
  expect(last).toMatchObject({ outcome: 'refused', requestId: res.headers.get('x-request-id'), ...row });
  expect(last.reason!.length).toBeLessThanOrEqual(1024);
}

describe('long client values in refusals', () => {
  it('/token: an unknown audience', async () => {
    const res = await s.post('/token', { grant_type: 'client_credentials', audience: `https://${LONG}` }, ['alpha', SECRETS.alpha]);
    await refused(res, 400, { error: 'invalid_target', error_description: 'the requested audience is not known' }, {
      event: 'token.issue',
      clientId: 'alpha',
      reason: cut('unknown audience ', `https://${LONG}`),
    });
  });

  it('/token: a scope not allowed', async () => {
    const res = await s.post('/token', { grant_type: 'client_credentials', audience: AUD.sis, scope: LONG }, ['alpha', SECRETS.alpha]);
    await refused(res, 400, { error: 'invalid_scope', error_description: 'the requested scope is not allowed' }, {
      event: 'token.issue',
      reason: cut('scope ', LONG, ' is not allowed by the client'),
    });
  });

  it('/token: an unsupported subject_token_type and a long grant_type', async () => {
    const exchange = await s.post('/token', { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: 'a.b.c', subject_token_type: LONG }, ['alpha', SECRETS.alpha]);
    await refused(exchange, 400, { error: 'invalid_request', error_description: 'subject_token_type is not supported' }, {
      event: 'token.issue',
      reason: cut('unsupported subject_token_type ', LONG),
    });
    const grant = await s.post('/token', { grant_type: LONG }, ['alpha', SECRETS.alpha]);
    await refused(grant, 400, { error: 'unsupported_grant_type', error_description: 'the grant type is not supported' }, {
      event: 'token.issue',
      reason: cut('grant_type ', LONG),
    });
    expect(JSON.parse(s.lastAudit().data!)).toEqual({ grant_type: cutTo128(LONG), error: 'unsupported_grant_type' });
  });

  it('/token: a long Content-Type', async () => {
    const res = await s.app.request('/token', { method: 'POST', headers: { authorization: auth, 'content-type': longType }, body: 'grant_type=client_credentials' });
    await refused(res, 400, notForm, { event: 'token.issue', reason: cut('content-type ', longType) });
  });

  it('/introspect: a long Content-Type', async () => {
    const res = await s.app.request('/introspect', { method: 'POST', headers: { authorization: auth, 'content-type': longType }, body: 'token=x' });
    await refused(res, 400, notForm, { event: 'token.introspect', reason: cut('content-type ', longType) });
  });

  it('/revoke: a long Content-Type', async () => {
    const res = await s.app.request('/revoke', { method: 'POST', headers: { authorization: auth, 'content-type': longType }, body: 'token=x' });
    await refused(res, 400, notForm, { event: 'token.revoke', reason: cut('content-type ', longType) });
  });

  it('/launch/redeem: a long Content-Type', async () => {
    const res = await s.app.request('/launch/redeem', { method: 'POST', headers: { 'content-type': longType }, body: 'code=x' });
    await refused(res, 400, notForm, { event: 'launch.redeem', reason: cut('content-type ', longType) });
  });

  it('/saml/acs: a long Content-Type (a refusal page for the browser)', async () => {
    const res = await s.app.request('/saml/acs', { method: 'POST', headers: { 'content-type': longType }, body: 'SAMLResponse=x' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('We could not read the sign-in');
    expect(s.lastAudit()).toMatchObject({ event: 'saml.login', outcome: 'refused', requestId: res.headers.get('x-request-id'), reason: `content_type_unsupported: ${cut('content-type ', longType)}` });
  });
});
