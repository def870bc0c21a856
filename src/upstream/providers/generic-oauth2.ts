import type { UpstreamConfig } from '../../config/upstream.js';
import type { FetchFn, UpstreamProvider } from '../provider.js';
import { postForTokens, requestToken, type TokenClientAuth } from './token-request.js';

type GenericConfig = Extract<UpstreamConfig, { provider: 'generic-oauth2' }>;

export interface ProviderDeps {
  fetch: FetchFn;
  /** The client secret, read from the configured env/file at start (absent for grant static). */
  clientSecret: string | undefined;
}

/** RFC 6749 §4.1.1 + RFC 7636 §4.3: the authorization request, S256 only (plain is never sent). */
export function buildAuthorizationUrl(
  endpoint: string,
  p: { clientId: string; redirectUri: string; state: string; codeChallenge: string; scopes: readonly string[]; extra?: Record<string, string> },
): string {
  const url = new URL(endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', p.clientId);
  url.searchParams.set('redirect_uri', p.redirectUri);
  if (p.scopes.length > 0) url.searchParams.set('scope', p.scopes.join(' '));
  url.searchParams.set('state', p.state);
  url.searchParams.set('code_challenge', p.codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  for (const [k, v] of Object.entries(p.extra ?? {})) url.searchParams.set(k, v);
  return url.href;
}

export const stripSlash = (u: string) => u.replace(/\/+$/, '');

/** Any RFC 6749 server: endpoints, client authentication method and scopes come from the config. */
export function createGenericProvider(cfg: GenericConfig, deps: ProviderDeps): UpstreamProvider {
  const auth: TokenClientAuth = { id: cfg.client_id ?? '', secret: deps.clientSecret ?? '', method: cfg.client_auth };
  const resource = cfg.resource ? { resource: cfg.resource } : {};
  const token = (params: Record<string, string | undefined>) =>
    requestToken({ fetch: deps.fetch, url: cfg.token_url, params: { ...params, ...resource }, auth, timeoutMs: cfg.refresh_timeout_ms }).then((r) => r.set);
  return {
    preset: 'generic-oauth2',
    inspectsBodies: false,
    apiBase: () => stripSlash(cfg.api_base_url),
    authorization: (t) => `Bearer ${t}`,
    authorizationUrl: (p) =>
      buildAuthorizationUrl(cfg.authorize_url!, { ...p, clientId: auth.id, scopes: cfg.scopes, ...(cfg.resource ? { extra: { resource: cfg.resource } } : {}) }),
    exchangeCode: (p) => token({ grant_type: 'authorization_code', code: p.code, redirect_uri: p.redirectUri, code_verifier: p.codeVerifier }),
    clientCredentials: () => token({ grant_type: 'client_credentials', scope: cfg.scopes.join(' ') || undefined }),
    refresh: (refreshToken) => token({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    ...(cfg.revocation_url ? { revoke: (t: { value: string; hint: 'access_token' | 'refresh_token' }) => revokeRfc7009(deps.fetch, cfg.revocation_url!, auth, t, cfg.timeout_ms) } : {}),
    judge: (status) => (status === 401 ? 'token_rejected' : 'ok'),
  };
}

/** RFC 7009 §2.1: POST token + token_type_hint with client authentication; 200 means revoked (or already invalid). */
export async function revokeRfc7009(fetchFn: FetchFn, url: string, auth: TokenClientAuth, token: { value: string; hint: string }, timeoutMs: number): Promise<void> {
  const body = new URLSearchParams({ token: token.value, token_type_hint: token.hint });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth.method === 'client_secret_basic') headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(auth.id)}:${encodeURIComponent(auth.secret)}`).toString('base64')}`;
  else {
    body.set('client_id', auth.id);
    body.set('client_secret', auth.secret);
  }
  const { status } = await postForTokens(fetchFn, url, { method: 'POST', headers, body: body.toString() }, timeoutMs);
  if (status !== 200) throw new Error(`revocation answered ${status}`);
}
