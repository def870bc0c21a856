import { request } from 'node:http';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminSessions, createAdminSessionStore } from '../../src/admin/sessions.js';
import { ADMIN_COOKIE, createRequireAdmin, type AdminEnv } from '../../src/admin/require-admin.js';
import { createLogger } from '../../src/core/logger.js';
import { toErrorResponse } from '../../src/http/errors.js';
import { AUD, basic, ISSUER, SECRETS, type TestService } from '../helpers/service.js';
import { startSurveyService } from '../helpers/survey-service.js';
import { onTheWire, type OnTheWire } from '../helpers/wire.js';

/**
 * Request bodies over a real socket (the Node HTTP parser in front, as in production). Every body is read by the
 * one capped reader: a body that declares its length is read in one piece (and refused before it is read when
 * too large); a chunked one is counted as it streams in and cut off at the cap.
 */
let s: TestService;
let wire: OnTheWire;
beforeAll(async () => {
  s = await startSurveyService();
  wire = await onTheWire(s);
});
afterAll(async () => {
  await wire.close();
  s.stop();
});

const form = new URLSearchParams({ grant_type: 'client_credentials', audience: AUD.sis }).toString();
const formType = 'application/x-www-form-urlencoded';
const tokenHeaders = { authorization: basic('alpha', SECRETS.alpha), 'content-type': formType };

/**
 * Sends `chunks` (chunked transfer encoding unless `contentLength` is given) and reads the answer. A declared
 * length larger than what is sent leaves the request open: the answer must come without the rest of the body.
 */
function post(path: string, headers: Record<string, string>, chunks: string[], contentLength?: number, port = wire.port): Promise<{ status: number; body: unknown; closes: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...headers, ...(contentLength !== undefined ? { 'content-length': contentLength } : {}) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode!, body: text.startsWith('{') ? JSON.parse(text) : text, closes: res.headers.connection === 'close' }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    if (contentLength === undefined || contentLength === Buffer.byteLength(chunks.join(''))) req.end();
  });
}

const tooLarge = (n: number) => ({ error: 'invalid_request', error_description: `the request body is larger than ${n} bytes` });
/** RFC 9110 §15.5.14: the 413 closes the connection rather than reading the rest of the body. */
const refusedTooLarge = (n: number) => ({ status: 413, body: tooLarge(n), closes: true });

describe('request bodies on the wire', () => {
  it('reads a body with a Content-Length', async () => {
    const res = await post('/token', tokenHeaders, [form], Buffer.byteLength(form));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
  });

  it('reads a chunked body without a Content-Length', async () => {
    const half = form.length >> 1;
    const res = await post('/token', tokenHeaders, [form.slice(0, half), form.slice(half)]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
  });

  it('refuses a declared length over the cap before the body arrives, and audits it', async () => {
    const res = await post('/token', tokenHeaders, [form], 70_000);
    expect(res).toEqual(refusedTooLarge(65536));
    expect(s.lastAudit()).toMatchObject({ event: 'token.issue', outcome: 'refused', reason: 'the request body is larger than 65536 bytes', clientId: null });
  });

  it('cuts off a chunked body at the cap, and audits it', async () => {
    const res = await post('/token', tokenHeaders, [`${form}&scope=`, 'x'.repeat(40_000), 'x'.repeat(40_000)]);
    expect(res).toEqual(refusedTooLarge(65536));
    expect(s.lastAudit()).toMatchObject({ event: 'token.issue', outcome: 'refused', reason: 'the request body is larger than 65536 bytes', clientId: null });
  });
});

describe('POST /launch/redeem with a JSON body', () => {
  const json = { 'content-type': 'application/json' };
  const refusedRow = (reason: string) => ({ event: 'launch.redeem', outcome: 'refused', reason, clientId: null, data: '{}' });

  it('refuses a declared length over the cap at once, without waiting for the body, and audits it', async () => {
    const res = await post('/launch/redeem', json, ['{"code":"'], 400 * 1024 * 1024);
    expect(res).toEqual(refusedTooLarge(4096));
    expect(s.lastAudit()).toMatchObject(refusedRow('the request body is larger than 4096 bytes'));
  });

  it('cuts off a chunked body at the cap, and audits it', async () => {
    const res = await post('/launch/redeem', json, ['{"code":"', 'x'.repeat(3000), 'x'.repeat(3000), 'x'.repeat(1_000_000), '"}']);
    expect(res).toEqual(refusedTooLarge(4096));
    expect(s.lastAudit()).toMatchObject(refusedRow('the request body is larger than 4096 bytes'));
  });

  it('still reads a JSON body within the cap', async () => {
    const res = await post('/launch/redeem', json, [JSON.stringify({ code: 'A'.repeat(43) })]);
    expect(res).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'the launch code is invalid, expired or already used' }, closes: false });
    expect(s.lastAudit()).toMatchObject(refusedRow('launch code is unknown'));
  });
});

describe('the admin CSRF check reads its form through the same capped reader', () => {
  let admin: OnTheWire;
  let cookie: string;
  let csrf: string;
  beforeAll(async () => {
    const sessions = createAdminSessions({ store: createAdminSessionStore(s.sqlite.db), commit: s.audit.commit, clock: s.clock, timeouts: { idleSeconds: 900, absoluteSeconds: 3600 } });
    const created = await s.audit.commit(async (tx) => sessions.create(tx, { subject: 'carol@example.edu', role: 'admin', idpId: 'campus' }));
    cookie = `${ADMIN_COOKIE}=${created.id}`;
    csrf = created.principal.csrfToken;
    const requireAdmin = createRequireAdmin({ sessions, origin: new URL(ISSUER).origin });
    const app = new Hono<AdminEnv>().post('/guarded', requireAdmin('admin'), (c) => c.text('passed'));
    app.onError((err, c) => toErrorResponse(err, c as never, createLogger('silent')));
    admin = await onTheWire({ app, config: s.config });
  });
  afterAll(() => admin.close());

  const headers = () => ({ cookie, 'content-type': formType });

  it('passes a small form carrying the token', async () => {
    expect(await post('/guarded', headers(), [`csrf_token=${csrf}`], undefined, admin.port)).toEqual({ status: 200, body: 'passed', closes: false });
  });

  it('refuses a declared length over the cap at once', async () => {
    expect(await post('/guarded', headers(), [`csrf_token=${csrf}&x=`], 400 * 1024 * 1024, admin.port)).toEqual(refusedTooLarge(65536));
  });

  it('cuts off a chunked form at the cap, even with the token up front', async () => {
    const res = await post('/guarded', headers(), [`csrf_token=${csrf}&x=`, 'x'.repeat(60_000), 'x'.repeat(60_000), 'x'.repeat(1_000_000)], undefined, admin.port);
    expect(res).toEqual(refusedTooLarge(65536));
  });
});
