import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { constantTimeEqual, randomToken, sha256b64u } from '../core/hash.js';

/**
 * The demo's upstream: a small OAuth 2.0 authorization server on a loopback port (RFC 6749 §4.4
 * client credentials, HTTP Basic, opaque tokens) and a "student records" API that accepts only its tokens.
 * campus-sts connects to it by itself over HTTP, as to any generic-oauth2 upstream, and proxies
 * `/upstreams/demo-sis/…`; the demo survey page fetches `/upstreams/demo-sis/me` with the respondent's token and
 * shows their own record, nobody else's. It is our own code rather than oidc-provider (which the tests use as the
 * real upstream) because oidc-provider 9 supports only Node 22+, and `npm start` must run clean on every Node
 * version package.json allows. Demo only: in memory, a fresh client secret at every start.
 */

export const DEMO_UPSTREAM_ID = 'demo-sis';
/** What the demo survey page fetches: the respondent's own record (the route maps `/me` to their `student_id`). */
export const DEMO_RECORD_PATH = `/upstreams/${DEMO_UPSTREAM_ID}/me`;
const RESOURCE = 'https://records.demo.campus-sts.test';
const CLIENT_ID = 'campus-sts-demo';
const TOKEN_TTL_SECONDS = 3600;
const MAX_BODY_BYTES = 4096;

/** Records keyed by student number: the `student_id` claim the demo IdP's claim rule computes from the ESI. */
const RECORDS: Record<string, Record<string, unknown>> = {
  s1024: {
    student_id: 's1024',
    name: 'Alex Rivera',
    programme: 'BSc Physics',
    year: 2,
    advisor: 'Dr. M. Curie',
    enrollments: [
      { course: 'PHYS201', title: 'Classical Mechanics', term: '2026 Autumn' },
      { course: 'MATH210', title: 'Linear Algebra', term: '2026 Autumn' },
    ],
    national_id: 'demo-not-released',
  },
  s0419: { student_id: 's0419', name: 'Jordan Okafor', programme: 'BSc Chemistry (graduated 2019)', enrollments: [] },
};

export interface DemoUpstream {
  tokenUrl: string;
  apiBase: string;
  clientId: string;
  /** The client secret, written for the config's `client_secret_file`. */
  secretFile: string;
  close(): Promise<void>;
}

/** Starts the demo authorization server and records API on 127.0.0.1 (an ephemeral port; unref'd). */
export async function startDemoUpstream(opts: { dataDir: string }): Promise<DemoUpstream> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const secret = randomToken();
  const secretFile = join(opts.dataDir, 'demo-sis-client.secret');
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  /** Issued access tokens (by SHA-256) → expiry in epoch ms. */
  const tokens = new Map<string, number>();
  const validToken = (value: string) => (tokens.get(sha256b64u(value)) ?? 0) > Date.now();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/token' && req.method === 'POST') {
      readForm(req)
        .then((form) => {
          const answer = clientCredentials(form, req.headers.authorization, (given) => constantTimeEqual(given, secret));
          if ('error' in answer) {
            const challenge: Record<string, string> = answer.status === 401 ? { 'www-authenticate': 'Basic realm="demo-sis"' } : {};
            return send(answer.status, { error: answer.error }, { 'cache-control': 'no-store', ...challenge });
          }
          const accessToken = randomToken();
          for (const [key, exp] of tokens) if (exp <= Date.now()) tokens.delete(key);
          tokens.set(sha256b64u(accessToken), Date.now() + TOKEN_TTL_SECONDS * 1000);
          send(200, { access_token: accessToken, token_type: 'Bearer', expires_in: TOKEN_TTL_SECONDS }, { 'cache-control': 'no-store' });
        })
        .catch(() => send(400, { error: 'invalid_request' }));
      return;
    }
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!url.pathname.startsWith('/api/')) return send(404, { error: 'not_found' });
    if (!bearer || !validToken(bearer)) return send(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    recordsApi(url, send);
  });
  return {
    tokenUrl: `${origin}/token`,
    apiBase: `${origin}/api`,
    clientId: CLIENT_ID,
    secretFile,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type TokenAnswer = { status: 400 | 401; error: string } | { ok: true };

/** RFC 6749 §4.4.2 with §2.3.1 client authentication (HTTP Basic, form-encoded id and secret). */
function clientCredentials(form: URLSearchParams, authorization: string | undefined, secretMatches: (given: string) => boolean): TokenAnswer {
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization ?? '')?.[1];
  const [id, given] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(/:(.*)/s, 2).map((p) => decodeURIComponent(p.replace(/\+/g, ' '))) : [];
  if (id !== CLIENT_ID || given === undefined || !secretMatches(given)) return { status: 401, error: 'invalid_client' };
  if (form.get('grant_type') !== 'client_credentials') return { status: 400, error: 'unsupported_grant_type' };
  const resource = form.getAll('resource');
  // RFC 8707 §2: the only resource this server issues tokens for.
  if (resource.some((r) => r !== RESOURCE)) return { status: 400, error: 'invalid_target' };
  return { ok: true };
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_BODY_BYTES) throw new Error('body too large');
  }
  return new URLSearchParams(body);
}

/** The records API, for a valid token: answers from RECORDS. */
function recordsApi(url: URL, send: (status: number, body: unknown) => void) {
  if (url.pathname === '/api/programmes') return send(200, [{ code: 'BSC-PHYS', name: 'BSc Physics' }, { code: 'BSC-CHEM', name: 'BSc Chemistry' }]);
  const m = /^\/api\/students\/([^/]+)$/.exec(url.pathname);
  const record = m ? RECORDS[decodeURIComponent(m[1]!)] : undefined;
  if (!record) return send(404, { error: 'not_found', message: 'no student record for this person' });
  return send(200, record);
}

/** The demo upstream's entry in the demo config: client credentials, and a route table bound to `student_id`. */
export function demoUpstreamConfig(up: DemoUpstream, opts: { audience: string; origin: string }) {
  return {
    id: DEMO_UPSTREAM_ID,
    name: 'Demo student-information system',
    audience: opts.audience,
    provider: 'generic-oauth2' as const,
    grant: 'client_credentials' as const,
    api_base_url: up.apiBase,
    token_url: up.tokenUrl,
    client_id: up.clientId,
    client_secret_file: up.secretFile,
    resource: RESOURCE,
    cors_origins: [opts.origin],
    routes: [
      // The survey page's fixed URL: the respondent's own record, with only the fields a survey needs.
      { id: 'my-record', method: 'GET' as const, path: '/me', upstream_path: '/students/{claims.student_id}', scope: 'student.read', response_fields: ['student_id', 'name', 'programme', 'year', 'advisor', 'enrollments.course', 'enrollments.title', 'enrollments.term'] },
      { id: 'record', method: 'GET' as const, path: '/students/{claims.student_id}', scope: 'student.read', response_fields: ['student_id', 'name', 'programme'] },
      { id: 'programmes', method: 'GET' as const, path: '/programmes', scope: 'student.read' },
    ],
  };
}
