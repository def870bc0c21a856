import { desc, eq } from 'drizzle-orm';
import { hashClientSecret } from '../../src/clients/secret-hash.js';
import { generateMasterKeyText } from '../../src/core/sealed-box.js';
import { auditLog, type AuditRow } from '../../src/db/schema/audit-log.js';
import { upstreamConnections } from '../../src/db/schema/upstream-connections.js';
import { mintAccessToken } from '../../src/tokens/mint.js';
import { createConnectionStore } from '../../src/upstream/vault-store.js';
import { ISSUER, startTestService, type TestService } from '../helpers/service.js';
import { ScriptedBrowser } from '../support/oauth/browser.js';
import { CLIENTS, RECORDS_RESOURCE, startOidcUpstream, type OidcUpstream } from '../support/oauth/oidc-upstream.js';

/**
 * The upstream test world: a real oidc-provider upstream with its records API, and a campus-sts test service
 * (real SQLite, fixed clock) configured with two upstreams on it: `sis` (client credentials, connects itself)
 * and `records` (authorization code, connected by an admin; rotating refresh tokens; revocation).
 */

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
export const SURVEY_ORIGIN = 'https://survey.example.edu';
export const RELEASE_CLIENT = { id: 'reporting-backend', secret: 'reporting-backend-secret' } as const;
export const CALLBACK = (id: string) => `${ISSUER}/admin/upstreams/${id}/callback`;

const routes = [
  { id: 'own-record', method: 'GET', path: '/students/{claims.student_id}', scope: 'student.read', query: ['fields'] },
  { id: 'my-record', method: 'GET', path: '/me', upstream_path: '/students/{claims.student_id}', scope: 'student.read' },
  { id: 'enrollments', method: 'GET', path: '/students/{claims.student_id}/enrollments', scope: 'enrollment.read', response_fields: ['course', 'term'] },
  { id: 'public-profile', method: 'GET', path: '/students/{claims.student_id}/profile', upstream_path: '/students/{claims.student_id}', scope: 'student.read', response_fields: ['student_id', 'name', 'advisor.name'] },
  { id: 'notes', method: 'POST', path: '/students/{claims.student_id}/notes', scope: 'notes.write' },
];

/** scrypt hashes of the two client secrets, made once per test file (hashing at every start costs ~100 ms). */
let hashes: Promise<{ backend: string; release: string }> | undefined;
const secretHashes = () =>
  (hashes ??= Promise.all([hashClientSecret('survey-backend-secret'), hashClientSecret(RELEASE_CLIENT.secret)]).then(([backend, release]) => ({ backend, release })));

export function upstreamOverrides(up: OidcUpstream, extra: { sis?: Record<string, unknown>; records?: Record<string, unknown> } = {}, h = { backend: undefined as string | undefined, release: undefined as string | undefined }) {
  return {
    audiences: [
      { id: 'sis', name: 'Student records (client credentials)', scopes: ['student.read', 'enrollment.read', 'notes.write'] },
      { id: 'https://records.campus.test/api', name: 'Student records (admin-connected)', scopes: ['student.read'] },
      { id: 'other-api', scopes: ['student.read', 'enrollment.read'] },
    ],
    clients: [
      { id: 'survey-backend', auth: { method: 'client_secret_basic', ...(h.backend ? { secret_hash: h.backend } : { secret_env: 'ALPHA_SECRET' }) }, audiences: ['sis', 'other-api'], scopes: ['student.read', 'enrollment.read'] },
      {
        id: RELEASE_CLIENT.id,
        auth: { method: 'client_secret_basic', ...(h.release ? { secret_hash: h.release } : { secret_env: 'RELEASE_SECRET' }) },
        audiences: ['other-api'],
        scopes: ['student.read'],
        upstream_token_release: ['sis', 'records'],
      },
    ],
    upstream_admin: { token_env: 'ADMIN_TOKEN' },
    upstreams: [
      {
        id: 'sis',
        name: 'Student information system',
        provider: 'generic-oauth2',
        grant: 'client_credentials',
        api_base_url: up.apiBase,
        token_url: up.tokenUrl,
        client_id: CLIENTS.machine.id,
        client_secret_env: 'SIS_SECRET',
        scopes: ['records:read', 'records:write'],
        resource: RECORDS_RESOURCE,
        timeout_ms: 1500,
        cors_origins: [SURVEY_ORIGIN],
        routes,
        ...extra.sis,
      },
      {
        id: 'records',
        audience: 'https://records.campus.test/api',
        name: 'Records (admin-connected)',
        provider: 'generic-oauth2',
        grant: 'authorization_code',
        api_base_url: up.apiBase,
        authorize_url: up.authorizeUrl,
        token_url: up.tokenUrl,
        revocation_url: up.revocationUrl,
        client_id: CLIENTS.connector.id,
        client_secret_env: 'CONNECTOR_SECRET',
        scopes: ['records:read'],
        timeout_ms: 1500,
        routes: [{ id: 'record', method: 'GET', path: '/students/{claims.student_id}', scope: 'student.read' }],
        ...extra.records,
      },
    ],
  };
}

export function worldEnv(): NodeJS.ProcessEnv {
  return {
    TEST_MASTER_KEY: generateMasterKeyText(),
    ALPHA_SECRET: 'survey-backend-secret',
    RELEASE_SECRET: RELEASE_CLIENT.secret,
    SIS_SECRET: CLIENTS.machine.secret,
    CONNECTOR_SECRET: CLIENTS.connector.secret,
    ADMIN_TOKEN,
  };
}

export async function startWorldService(up: OidcUpstream, opts: { extra?: Parameters<typeof upstreamOverrides>[1]; dir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TestService> {
  return startTestService({ overrides: upstreamOverrides(up, opts.extra, await secretHashes()), env: opts.env ?? worldEnv(), ...(opts.dir ? { dir: opts.dir } : {}), startAt: new Date() });
}

/** A respondent's token as a survey launch mints it: audience, scope, released claims (here `student_id`). */
export async function studentToken(
  s: TestService,
  p: { studentId?: string | number | null; aud?: string[]; scope?: string[]; ttlSeconds?: number; extra?: Record<string, unknown> } = {},
): Promise<string> {
  const claims: Record<string, unknown> = { ...(p.studentId === null ? {} : { student_id: p.studentId ?? 'S1001' }), ...p.extra };
  const minted = await mintAccessToken(
    {
      sub: `student-${String(p.studentId ?? 'S1001')}`,
      aud: p.aud ?? ['sis'],
      clientId: 'survey:course-eval',
      scope: p.scope ?? ['student.read', 'enrollment.read', 'notes.write'],
      expiresAt: new Date(s.clock.now().getTime() + (p.ttlSeconds ?? 300) * 1000),
      extra: claims,
    },
    { keystore: s.keystore, clock: s.clock, issuer: ISSUER },
  );
  return minted.token;
}

/** A proxied request through the in-process app. */
export function viaProxy(s: TestService, path: string, token: string | undefined, init: Omit<RequestInit, 'headers'> & { headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers };
  return Promise.resolve(s.app.request(`${ISSUER}/upstreams${path}`, { ...init, headers }));
}

export function auditOf(s: TestService, event: string): AuditRow[] {
  return s.sqlite.db.select().from(auditLog).where(eq(auditLog.event, event)).orderBy(desc(auditLog.id)).all();
}

export const dataOf = (row: AuditRow | undefined) => (row?.data ? (JSON.parse(row.data) as Record<string, unknown>) : undefined);

export function vaultRow(s: TestService, id: string) {
  return s.sqlite.db.select().from(upstreamConnections).where(eq(upstreamConnections.upstreamId, id)).get();
}

/** The vault's opened tokens (the test reads them with the master key, as only campus-sts could). */
export function vaultTokens(s: TestService, id: string) {
  const keyring = s.keyDeps.keyring;
  return createConnectionStore(s.sqlite.db, keyring).read(id);
}

/** A browser that reaches campus-sts in-process (at ISSUER) and everything else over the network. */
export function adminBrowser(s: TestService): ScriptedBrowser {
  return new ScriptedBrowser((url, init) => (url.startsWith(ISSUER) ? Promise.resolve(s.app.request(url, init)) : fetch(url, init)));
}

/** The admin connects `records`: connect form → oidc-provider (login + consent) → callback. */
export async function connectRecords(s: TestService, browser = adminBrowser(s), upstream = 'records') {
  const body = new URLSearchParams({ admin_token: ADMIN_TOKEN });
  return browser.navigate(`${ISSUER}/admin/upstreams/${upstream}/connect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
}

/** Every string that must never leave campus-sts: the upstream tokens the harness has seen. */
export function upstreamSecrets(up: OidcUpstream): string[] {
  return [...new Set(up.calls.map((c) => c.token).filter((t): t is string => Boolean(t)))];
}

export { startOidcUpstream, CLIENTS, RECORDS_RESOURCE, ISSUER };
export type { OidcUpstream, TestService };
