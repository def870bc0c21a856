import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { DEMO_SCOPE } from './idp/personas.js';

/**
 * The demo's upstream (issue 4, item 6): a real OAuth 2.0 authorization server (`oidc-provider`, in-process on a
 * loopback port) with one client-credentials client, and a tiny "student records" API that accepts only that
 * server's tokens. campus-sts connects to it by itself and proxies `/upstreams/demo-sis/…`; the demo survey page
 * fetches `/upstreams/demo-sis/me` with the respondent's token and shows their own record, nobody else's.
 * Demo only: in memory, a fresh client secret at every start, never run in production (the demo refuses to).
 */

export const DEMO_UPSTREAM_ID = 'demo-sis';
/** What the demo survey page fetches: the respondent's own record (the route maps `/me` to their `sub`). */
export const DEMO_RECORD_PATH = `/upstreams/${DEMO_UPSTREAM_ID}/me`;
const RESOURCE = 'https://records.demo.campus-sts.test';
const CLIENT_ID = 'campus-sts-demo';

/** Records keyed by eppn, which the demo survey uses as the subject (`subject: { source: eppn }`). */
const RECORDS: Record<string, Record<string, unknown>> = {
  [`alex.rivera@${DEMO_SCOPE}`]: {
    student_id: 'S1024',
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
  [`sam.chen@${DEMO_SCOPE}`]: { student_id: null, name: 'Sam Chen', programme: null, note: 'staff: no student record' },
  [`jordan.okafor@${DEMO_SCOPE}`]: { student_id: 'S0419', name: 'Jordan Okafor', programme: 'BSc Chemistry (graduated 2019)', enrollments: [] },
};

export interface DemoUpstream {
  tokenUrl: string;
  apiBase: string;
  clientId: string;
  /** The client secret, written for the config's `client_secret_file`. */
  secretFile: string;
  close(): Promise<void>;
}

/** A Map-backed adapter (oidc-provider's own in-memory one works too, but warns at every start). */
class MemoryAdapter {
  private static store = new Map<string, { payload: Record<string, unknown>; exp: number | undefined }>();
  constructor(private readonly model: string) {}
  private key = (id: string) => `${this.model}:${id}`;
  async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
    MemoryAdapter.store.set(this.key(id), { payload, exp: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
  }
  async find(id: string) {
    const e = MemoryAdapter.store.get(this.key(id));
    if (!e || (e.exp !== undefined && e.exp < Date.now())) return undefined;
    return e.payload;
  }
  async destroy(id: string) {
    MemoryAdapter.store.delete(this.key(id));
  }
  async consume(id: string) {
    const e = MemoryAdapter.store.get(this.key(id));
    if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async findByUid() {
    return undefined;
  }
  async findByUserCode() {
    return undefined;
  }
  async revokeByGrantId() {}
}

/** Starts the demo authorization server and records API on 127.0.0.1 (an ephemeral port; unref'd). */
export async function startDemoUpstream(opts: { dataDir: string }): Promise<DemoUpstream> {
  // Loaded only here: the production service never imports oidc-provider.
  const { default: Provider } = await import('oidc-provider');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const secret = randomBytes(32).toString('base64url');
  const secretFile = join(opts.dataDir, 'demo-sis-client.secret');
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(origin, {
    adapter: MemoryAdapter,
    clients: [{ client_id: CLIENT_ID, client_secret: secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' }],
    jwks: { keys: [{ ...(await exportJWK(rsa.privateKey)), alg: 'RS256', use: 'sig', kid: 'demo' }] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        getResourceServerInfo: () => ({ scope: 'records:read', accessTokenFormat: 'opaque', accessTokenTTL: 3600 }),
      },
    },
    ttl: { ClientCredentials: 3600 },
  });
  const oauth = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!(req.url ?? '').startsWith('/api/')) return oauth(req, res);
    recordsApi(req, res, provider).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  return {
    tokenUrl: `${origin}/token`,
    apiBase: `${origin}/api`,
    clientId: CLIENT_ID,
    secretFile,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The records API: checks the bearer token at the authorization server, then answers from RECORDS. */
async function recordsApi(req: IncomingMessage, res: ServerResponse, provider: { ClientCredentials: { find(v: string): Promise<{ aud?: string | string[] } | undefined> } }) {
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  const token = bearer ? await provider.ClientCredentials.find(bearer) : undefined;
  if (!token || ![token.aud].flat().includes(RESOURCE)) return send(401, { error: 'invalid_token' });
  const url = new URL(req.url ?? '/', 'http://demo');
  if (url.pathname === '/api/programmes') return send(200, [{ code: 'BSC-PHYS', name: 'BSc Physics' }, { code: 'BSC-CHEM', name: 'BSc Chemistry' }]);
  const m = /^\/api\/students\/([^/]+)$/.exec(url.pathname);
  const record = m ? RECORDS[decodeURIComponent(m[1]!)] : undefined;
  if (!record) return send(404, { error: 'not_found', message: 'no student record for this person' });
  return send(200, record);
}

/** The demo upstream's entry in the demo config: client credentials, and a route table bound to `sub`. */
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
      { id: 'my-record', method: 'GET' as const, path: '/me', upstream_path: '/students/{claims.sub}', scope: 'student.read', response_fields: ['student_id', 'name', 'programme', 'year', 'advisor', 'enrollments.course', 'enrollments.title', 'enrollments.term'] },
      { id: 'record', method: 'GET' as const, path: '/students/{claims.sub}', scope: 'student.read', response_fields: ['student_id', 'name', 'programme'] },
      { id: 'programmes', method: 'GET' as const, path: '/programmes', scope: 'student.read' },
    ],
  };
}
