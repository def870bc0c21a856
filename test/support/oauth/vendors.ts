import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Small servers on 127.0.0.1 that reproduce each vendor's documented request and response shapes, so the
 * provider presets are tested against what Qualtrics, SurveyMonkey and SurveyMonkey Apply actually expect and
 * answer (see shared/reference/survey-platforms.md §2–§4 and the Apply Connect and SurveyMonkey guides).
 * They check what a vendor checks (client authentication, body encoding, single-use codes, rotation) and
 * record every request for assertions.
 */

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Fake {
  origin: string;
  requests: Recorded[];
  stop(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>): Promise<Fake> {
  const sockets = new Set<Socket>();
  const requests: Recorded[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body });
    try {
      await handler(req, res, body);
    } catch (err) {
      console.error('vendor fake error', err);
      if (!res.headersSent) res.writeHead(500).end();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const token = () => randomBytes(24).toString('base64url');
const isForm = (req: IncomingMessage) => (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');

/** RFC 6749 §2.3.1 Basic credentials, form-urlencoded inside base64. */
function basicCredentials(req: IncomingMessage): [string, string] | undefined {
  const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const [id, secret] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':');
  const dec = (s: string | undefined) => decodeURIComponent((s ?? '').replace(/\+/g, ' '));
  return [dec(id), dec(secret)];
}

// ---------------------------------------------------------------------------------------------------------------

export interface QualtricsFake extends Fake {
  /** `expires_in` of the next tokens (public reports range from 3600 to 86400). */
  expiresIn: number;
  issued: string[];
}

/**
 * Qualtrics: POST /oauth2/token with HTTP Basic client credentials and a form body (`grant_type`, `scope`);
 * `{access_token, token_type: "Bearer", expires_in, scope}`. The API under /API/v3 answers
 * `{result, meta: {httpStatus, requestId}}`; an unknown token is 401 with `meta.error` (errorCode, errorMessage).
 */
export async function startQualtricsFake(client: { id: string; secret: string }): Promise<QualtricsFake> {
  const issued: string[] = [];
  const state = { expiresIn: 86400, issued } as QualtricsFake;
  const fake = await listen((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/oauth2/token') {
      const creds = basicCredentials(req);
      if (!creds || creds[0] !== client.id || creds[1] !== client.secret) return json(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed' });
      if (!isForm(req)) return json(res, 400, { error: 'invalid_request' });
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'client_credentials') return json(res, 400, { error: 'unsupported_grant_type' });
      const t = token();
      issued.push(t);
      return json(res, 200, { access_token: t, token_type: 'Bearer', expires_in: state.expiresIn, scope: form.get('scope') ?? '' });
    }
    if (url.pathname.startsWith('/API/v3/')) {
      const t = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const meta = { requestId: token().slice(0, 12) };
      if (!t || !issued.includes(t)) return json(res, 401, { meta: { ...meta, httpStatus: '401 - Unauthorized', error: { errorMessage: 'Unrecognized X-API-TOKEN.', errorCode: 'DCD_7' } } });
      if (url.pathname === '/API/v3/whoami') return json(res, 200, { result: { userId: 'UR_123', brandId: 'campus', userName: 'api@campus.test' }, meta: { ...meta, httpStatus: '200 - OK' } });
      return json(res, 404, { meta: { ...meta, httpStatus: '404 - Not Found', error: { errorMessage: 'Not found', errorCode: 'RP_0.1' } } });
    }
    json(res, 404, {});
  });
  return Object.assign(state, fake);
}

// ---------------------------------------------------------------------------------------------------------------

export interface SurveyMonkeyFake extends Fake {
  /** The account's regional API host (the `access_url` the token answer names). */
  regional: Fake;
  /** What the next code exchange answers as `access_url` (default: the regional host). */
  accessUrl: string | undefined;
  /** Fields merged into the code exchange's answer (odd vendor values: `expires_in: 1e20`, …). */
  answerPatch: Record<string, unknown>;
  /** Next API answers: `revoked` (HTTP 200 + status 1), `revoked401` (1013), `rate_limited` (429, 1040). */
  apiMode: 'ok' | 'revoked' | 'revoked401' | 'rate_limited';
  deny: boolean;
}

/**
 * SurveyMonkey: GET /oauth/authorize → 302 to the redirect URI with `code` and `state` (or
 * `error=access_denied&error_description=Resource+owner+canceled+the+request`); POST /oauth/token with a form
 * body carrying client_id, client_secret, code, redirect_uri and grant_type; codes are single use and live 5
 * minutes; the answer has `access_token`, `token_type: "bearer"` and `access_url`, no expiry, no refresh token.
 * The API (on the access_url host) wants `Authorization: bearer …` and answers errors as
 * `{error: {id, name, message, docs, http_status_code}}`; a revoked grant may come as HTTP 200 `{status: 1}`.
 */
export async function startSurveyMonkeyFake(client: { id: string; secret: string }): Promise<SurveyMonkeyFake> {
  const codes = new Map<string, { redirectUri: string; at: number }>();
  const tokens = new Set<string>();
  const settings = { accessUrl: undefined, apiMode: 'ok', deny: false, answerPatch: {} } as unknown as SurveyMonkeyFake;
  const smError = (res: ServerResponse, status: number, id: string, name: string, message: string, headers: Record<string, string> = {}) =>
    json(res, status, { error: { docs: 'https://developer.surveymonkey.com/api/v3/#error-codes', message, id, name, http_status_code: status } }, headers);

  const regional = await listen((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^bearer (.+)$/i.exec(req.headers.authorization ?? '');
    if (!m || !tokens.has(m[1]!)) return smError(res, 401, '1011', 'Authorization Error', 'The authorization token provided was invalid.');
    if (settings.apiMode === 'revoked') return json(res, 200, { status: 1, errmsg: 'Client revoked access grant' });
    if (settings.apiMode === 'revoked401') return smError(res, 401, '1013', 'Authorization Error', 'Client revoked access to the authorization token provided.');
    if (settings.apiMode === 'rate_limited') {
      return smError(res, 429, '1040', 'Rate Limit Reached', 'Too many requests were made, try again later.', {
        'x-ratelimit-app-global-minute-limit': '120',
        'x-ratelimit-app-global-minute-remaining': '0',
        'x-ratelimit-app-global-minute-reset': '42',
        'x-ratelimit-app-global-day-limit': '500',
        'x-ratelimit-app-global-day-remaining': '311',
        'x-ratelimit-app-global-day-reset': '36000',
      });
    }
    if (url.pathname === '/v3/users/me') return json(res, 200, { id: '1234', username: 'campus-surveys', account_type: 'enterprise' }, { 'x-oauth-scopes-granted': 'surveys_read,users_read' });
    smError(res, 404, '1020', 'Resource Not Found', 'There was an error retrieving the requested resource.');
  });

  const main = await listen((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/oauth/authorize') {
      const q = url.searchParams;
      if (q.get('response_type') !== 'code' || q.get('client_id') !== client.id || !q.get('redirect_uri')) return smError(res, 400, '1003', 'Bad Request', 'Invalid URL parameters.');
      const back = new URL(q.get('redirect_uri')!);
      if (settings.deny) {
        back.search = 'error_description=Resource+owner+canceled+the+request&error=access_denied';
        if (q.get('state')) back.searchParams.set('state', q.get('state')!);
      } else {
        const code = token();
        codes.set(code, { redirectUri: q.get('redirect_uri')!, at: Date.now() });
        back.searchParams.set('code', code);
        if (q.get('state')) back.searchParams.set('state', q.get('state')!);
      }
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/oauth/token') {
      if (!isForm(req)) return smError(res, 400, '1001', 'Bad Request', 'The request body must be form encoded.');
      const f = new URLSearchParams(body);
      if (f.get('client_id') !== client.id || f.get('client_secret') !== client.secret) return smError(res, 401, '1011', 'Authorization Error', 'Invalid client credentials.');
      const entry = codes.get(f.get('code') ?? '');
      codes.delete(f.get('code') ?? '');
      if (f.get('grant_type') !== 'authorization_code' || !entry || entry.redirectUri !== f.get('redirect_uri') || Date.now() - entry.at > 5 * 60_000) {
        return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid or expired code' });
      }
      const t = token();
      tokens.add(t);
      return json(res, 200, { access_token: t, token_type: 'bearer', access_url: settings.accessUrl ?? regional.origin, ...settings.answerPatch });
    }
    // The default host does not serve this account: its tokens belong to the regional host.
    smError(res, 401, '1011', 'Authorization Error', 'The authorization token provided was invalid.');
  });
  return Object.assign(settings, main, {
    regional,
    stop: async () => {
      await main.stop();
      await regional.stop();
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------

export interface ApplyFake extends Fake {
  /**
   * "Generate new credentials": a new client secret and refresh token; every earlier token and the old secret
   * die at once. (Apply also issues a new client id; the fake keeps one, the dead secret already fails.)
   */
  generateCredentials(): { clientSecret: string; refreshToken: string };
  /** Refresh tokens currently valid (single use: each refresh replaces the one it used). */
  validRefreshTokens: Set<string>;
  revoked: { token: string; token_hint: string }[];
  /** Refreshes answered with new tokens. */
  refreshes: number;
  /** Delays the token answer; the refresh token is rotated before the wait, as a slow vendor already did. */
  tokenDelayMs: number;
  /** Fields merged into the next token answers (odd vendor values: `expires_in: 1e20`, …). */
  answerPatch: Record<string, unknown>;
  /** Answers every refresh with this OAuth error (400) instead, e.g. `unauthorized_client`. */
  refuseWith: string | undefined;
}

/**
 * SurveyMonkey Apply Connect, per site: POST /api/o/token/ with grant_type, client_id, client_secret and
 * refresh_token in the form body ("not being sent in the url": a query string is refused); the answer is
 * `{access_token, expires_in: 7200, refresh_token, scope: "", token_type: "Bearer"}` with a NEW refresh token,
 * the old one dead at once (django-oauth-toolkit rotation, no grace period). POST /api/o/revoke_token/ takes the
 * documented JSON body `{client_id, client_secret, token, token_hint}`. The API under /api/ wants a Bearer token.
 */
export async function startApplyFake(client: { id: string; secret: string }): Promise<ApplyFake> {
  const refresh = new Set<string>();
  const access = new Set<string>();
  const revoked: ApplyFake['revoked'] = [];
  const current = { ...client };
  const state = { refreshes: 0, tokenDelayMs: 0, answerPatch: {}, refuseWith: undefined } as unknown as ApplyFake;
  const fake = await listen(async (req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/api/o/token/') {
      if (url.search) return json(res, 400, { error: 'invalid_request', error_description: 'credentials must be sent in the body' });
      if (!isForm(req)) return json(res, 400, { error: 'invalid_request' });
      const f = new URLSearchParams(body);
      if (f.get('client_id') !== current.id || f.get('client_secret') !== current.secret) return json(res, 401, { error: 'invalid_client' });
      if (f.get('grant_type') !== 'refresh_token') return json(res, 400, { error: 'unsupported_grant_type' });
      if (state.refuseWith) return json(res, 400, { error: state.refuseWith });
      const rt = f.get('refresh_token') ?? '';
      if (!refresh.delete(rt)) return json(res, 400, { error: 'invalid_grant' });
      const next = { access: token(), refresh: token() };
      access.add(next.access);
      refresh.add(next.refresh);
      state.refreshes++;
      if (state.tokenDelayMs > 0) await new Promise((r) => setTimeout(r, state.tokenDelayMs));
      return json(res, 200, { access_token: next.access, expires_in: 7200, refresh_token: next.refresh, scope: '', token_type: 'Bearer', ...state.answerPatch });
    }
    if (req.method === 'POST' && url.pathname === '/api/o/revoke_token/') {
      let b: Record<string, string>;
      try {
        b = JSON.parse(body) as Record<string, string>;
      } catch {
        return json(res, 400, { error: 'invalid_request' });
      }
      if (b.client_id !== current.id || b.client_secret !== current.secret) return json(res, 401, { error: 'invalid_client' });
      revoked.push({ token: b.token ?? '', token_hint: b.token_hint ?? '' });
      refresh.delete(b.token ?? '');
      access.delete(b.token ?? '');
      res.writeHead(200).end();
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      const t = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!t || !access.has(t)) return json(res, 401, { detail: 'Authentication credentials were not provided.' });
      if (url.pathname === '/api/applications/') return json(res, 200, { count: 1, results: [{ id: 7, status: 'in_progress', applicant: { email: 'ada@campus.test' } }] });
      return json(res, 404, { detail: 'Not found.' });
    }
    json(res, 404, {});
  });
  return Object.assign(state, fake, {
    validRefreshTokens: refresh,
    revoked,
    generateCredentials() {
      refresh.clear();
      access.clear();
      current.secret = token();
      const rt = token();
      refresh.add(rt);
      return { clientSecret: current.secret, refreshToken: rt };
    },
  });
}
