import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors, type OidcToken } from 'oidc-provider';

/**
 * A real OAuth 2.0 authorization server we did not write (oidc-provider v9) on 127.0.0.1, plus a small
 * "student records" resource server that checks every token against it. It does client credentials,
 * authorization code with PKCE (required), refresh-token rotation (every refresh rotates; reuse of a consumed
 * refresh token revokes the grant, as oidc-provider does), RFC 7009 revocation and RFC 8707 resource
 * indicators. Tests steer it through the fields below: the next consent decision, API faults, token lifetimes.
 */

export const RECORDS_RESOURCE = 'https://records.campus.test';
export const CLIENTS = {
  machine: { id: 'sis-machine', secret: 'machine-secret-1' },
  connector: { id: 'sis-connector', secret: 'connector-secret-1' },
} as const;

export const STUDENTS: Record<string, Record<string, unknown>> = {
  S1001: { student_id: 'S1001', name: 'Ada Lovelace', program: 'BSc Mathematics', national_id: '123-45-6789', advisor: { name: 'C. Babbage', email: 'cb@campus.test' } },
  S2002: { student_id: 'S2002', name: 'Alan Turing', program: 'BSc Computer Science', national_id: '987-65-4321', advisor: { name: 'A. Church', email: 'ac@campus.test' } },
  'S 3/3': { student_id: 'S 3/3', name: 'Odd Id', program: 'MSc', national_id: '000', advisor: null },
  // The SimpleSAMLphp student of the browser test, whose student number comes from the IdP's schacPersonalUniqueCode.
  s1000001: { student_id: 's1000001', name: 'Alice Example', program: 'BSc Physics', national_id: '555-00-1234', advisor: { name: 'L. Meitner', email: 'lm@campus.test' } },
};

export type ApiFault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  | { kind: 'slow'; ms: number }
  | { kind: 'hang' }
  /** Sends `first`, waits for `gate`, then sends `rest`: shows whether the proxy streams or buffers. */
  | { kind: 'stream'; first: string; rest: string; gate: Promise<void> }
  /** Declares a Content-Length, sends part of it, then stalls (`stall`) or drops the connection (`drop`). */
  | { kind: 'cut'; then: 'stall' | 'drop' }
  /** Answers as usual, but gzip-compressed although the request asked for `identity` (as a misconfigured CDN does). */
  | { kind: 'gzip' };

export interface ApiCall {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  token: string | undefined;
  status: number;
  body: string;
}

export interface OidcUpstream {
  issuer: string;
  tokenUrl: string;
  authorizeUrl: string;
  revocationUrl: string;
  apiBase: string;
  provider: Provider;
  /** Successful grants by grant_type (counted by oidc-provider's own `grant.success` event). */
  grants: Record<string, number>;
  /** grant errors by grant_type and error code, e.g. `refresh_token:invalid_grant`. */
  grantErrors: string[];
  /** RFC 7009 revocation requests answered 200. */
  revocations: number;
  /** The next interaction's outcome: approve (log in as `account` and consent) or deny (access_denied). */
  decision: { outcome: 'approve' | 'deny'; account: string };
  /** Faults served by the resource server, one per request, in order. */
  faults: ApiFault[];
  calls: ApiCall[];
  /** Called when the resource server accepts a token (before it answers): the SIGKILL test's trigger. */
  onAccepted: ((token: string, call: ApiCall) => void) | undefined;
  /** Lifetime (seconds) of access tokens issued from now on. */
  accessTokenTtl: number;
  /** Destroys an access token at the server, so the resource server refuses it (a "stale" token). */
  revokeAccessToken(value: string): Promise<void>;
  findRefreshToken(value: string): Promise<OidcToken | undefined>;
  stop(): Promise<void>;
}

export async function startOidcUpstream(opts: { redirectUris: string[]; accessTokenTtl?: number; port?: number }): Promise<OidcUpstream> {
  const sockets = new Set<Socket>();
  const server: Server = createServer();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rsa = await generateKeyPair('RS256', { extractable: true });

  const state: Omit<OidcUpstream, 'provider' | 'revokeAccessToken' | 'findRefreshToken' | 'stop'> = {
    issuer,
    tokenUrl: `${issuer}/token`,
    authorizeUrl: `${issuer}/auth`,
    revocationUrl: `${issuer}/token/revocation`,
    apiBase: `${issuer}/api`,
    grants: {},
    grantErrors: [],
    revocations: 0,
    decision: { outcome: 'approve', account: 'registrar-admin' },
    faults: [],
    calls: [],
    onAccepted: undefined,
    accessTokenTtl: opts.accessTokenTtl ?? 3600,
  };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENTS.machine.id,
        client_secret: CLIENTS.machine.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: CLIENTS.connector.id,
        client_secret: CLIENTS.connector.secret,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: opts.redirectUris,
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(rsa.privateKey)), alg: 'RS256', use: 'sig', kid: 'test-rs256' }] },
    cookies: { keys: ['oidc-upstream-test-cookie-key'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RECORDS_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== RECORDS_RESOURCE) throw new errors.InvalidTarget!('unknown resource');
          return { scope: 'records:read records:write', accessTokenFormat: 'opaque', accessTokenTTL: state.accessTokenTtl };
        },
      },
    },
    pkce: { required: () => true },
    // Every refresh rotates (as SurveyMonkey Apply's django-oauth-toolkit does by default).
    rotateRefreshToken: () => true,
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      RefreshToken: 86400,
      ClientCredentials: () => state.accessTokenTtl,
      AccessToken: () => state.accessTokenTtl,
      AuthorizationCode: 300,
      Interaction: 600,
      Grant: 86400,
      Session: 3600,
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
  });
  provider.on('grant.success', (ctx: { oidc: { params: { grant_type: string } } }) => {
    const type = ctx.oidc.params.grant_type;
    state.grants[type] = (state.grants[type] ?? 0) + 1;
  });
  provider.on('grant.error', (ctx: { oidc?: { params?: { grant_type?: string } } }, err: { error?: string }) => {
    state.grantErrors.push(`${ctx.oidc?.params?.grant_type ?? '?'}:${err.error ?? 'error'}`);
  });
  provider.on('server_error', (_ctx: unknown, err: Error) => console.error('oidc-provider server_error', err));
  const callback = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse) {
    const details = await provider.interactionDetails(req, res);
    if (state.decision.outcome === 'deny') {
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new provider.Grant({ accountId: state.decision.account, clientId: String(details.params.client_id) });
    grant.addResourceScope(RECORDS_RESOURCE, String(details.params.scope ?? 'records:read'));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId: state.decision.account }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  async function findToken(value: string): Promise<OidcToken | undefined> {
    return (await provider.AccessToken.find(value)) ?? (await provider.ClientCredentials.find(value));
  }

  async function api(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req);
    const auth = req.headers.authorization;
    const token = auth && /^bearer /i.test(auth) ? auth.slice(7) : undefined;
    const call: ApiCall = { method: req.method ?? 'GET', url: req.url ?? '', headers: req.headers, token, status: 0, body };
    state.calls.push(call);
    let gzip = false;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers, ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
      res.end(gzip ? gzipSync(JSON.stringify(payload)) : JSON.stringify(payload));
    };
    const found = token ? await findToken(token) : undefined;
    const aud = found ? [found.aud].flat() : [];
    if (!found || found.isExpired || !aud.includes(RECORDS_RESOURCE)) {
      send(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      return;
    }
    state.onAccepted?.(token!, call);
    const fault = state.faults.shift();
    if (fault?.kind === 'hang') return;
    gzip = fault?.kind === 'gzip';
    if (fault?.kind === 'stream') {
      call.status = 200;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(fault.first);
      await fault.gate;
      res.end(fault.rest);
      return;
    }
    if (fault?.kind === 'cut') {
      call.status = 200;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"student_id":');
      if (fault.then === 'drop') setTimeout(() => res.destroy(), 50);
      return;
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === 'status') {
      send(fault.status, fault.body ?? { error: `status ${fault.status}` }, fault.headers);
      return;
    }
    const scopes = new Set((found.scope ?? '').split(' '));
    const url = new URL(req.url ?? '/', issuer);
    const match = /^\/api\/students\/([^/]+)(\/enrollments|\/notes)?$/.exec(url.pathname);
    const student = match ? STUDENTS[decodeURIComponent(match[1]!)] : undefined;
    if (!match || !student) {
      send(404, { error: 'not_found', path: url.pathname });
      return;
    }
    if (req.method === 'GET' && !match[2]) {
      if (!scopes.has('records:read')) return send(403, { error: 'insufficient_scope' });
      return send(200, { ...student, query: Object.fromEntries(url.searchParams) }, { etag: '"v1"', 'set-cookie': 'upstream_session=1', 'x-upstream': 'records' });
    }
    if (req.method === 'GET' && match[2] === '/enrollments') {
      return send(200, [
        { course: 'MATH101', term: '2026F', grade: 'A', instructor_notes: 'private' },
        { course: 'CS102', term: '2026F', grade: null, instructor_notes: 'private' },
      ]);
    }
    if (req.method === 'POST' && match[2] === '/notes') {
      if (!scopes.has('records:write')) return send(403, { error: 'insufficient_scope' });
      return send(201, { stored: true, received: body, content_type: req.headers['content-type'] ?? null });
    }
    send(405, { error: 'method_not_allowed' });
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    if (path === '/token/revocation' && req.method === 'POST') res.on('finish', () => res.statusCode === 200 && (state.revocations += 1));
    const handle = path.startsWith('/interaction/') ? interaction(req, res) : path.startsWith('/api/') ? api(req, res) : Promise.resolve(callback(req, res));
    handle.catch((err: unknown) => {
      console.error('oidc upstream harness error', err);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  return Object.assign(state, {
    provider,
    async revokeAccessToken(value: string) {
      const t = await findToken(value);
      if (!t) throw new Error('no such access token at the upstream');
      await t.destroy();
    },
    findRefreshToken: (value: string) => provider.RefreshToken.find(value, { ignoreExpiration: true }),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
