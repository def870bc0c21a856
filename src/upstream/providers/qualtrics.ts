import type { UpstreamConfig } from '../../config/upstream.js';
import type { UpstreamProvider } from '../provider.js';
import { buildAuthorizationUrl, stripSlash, type ProviderDeps } from './generic-oauth2.js';
import { requestToken, type TokenClientAuth } from './token-request.js';

type QualtricsConfig = Extract<UpstreamConfig, { provider: 'qualtrics' }>;

/**
 * Qualtrics (api.qualtrics.com): the data centre host `https://{dc}.qualtrics.com` (or a brand host), token at
 * `/oauth2/token` with HTTP Basic client authentication for every grant, authorization at `/oauth2/auth`, the
 * API under `/API/v3`. Lifetimes come from `expires_in` (reports range from an hour to a day; never assumed).
 * OAuth against the wrong data centre is a 401 (`DCD_7`) with no proxying, so the host is per upstream.
 */
export function createQualtricsProvider(cfg: QualtricsConfig, deps: ProviderDeps): UpstreamProvider {
  const base = stripSlash(cfg.base_url ?? `https://${cfg.datacenter}.qualtrics.com`);
  const auth: TokenClientAuth = { id: cfg.client_id ?? '', secret: deps.clientSecret ?? '', method: 'client_secret_basic' };
  const token = (params: Record<string, string | undefined>) =>
    requestToken({ fetch: deps.fetch, url: `${base}/oauth2/token`, params, auth, timeoutMs: cfg.refresh_timeout_ms }).then((r) => r.set);
  return {
    preset: 'qualtrics',
    inspectsBodies: false,
    apiBase: () => `${base}/API/v3`,
    authorization: (t) => `Bearer ${t}`,
    // A public client notes Qualtrics compares redirect_uri unencoded; ":" and "/" are legal in a query
    // (RFC 3986 §3.4), so leaving them raw reads the same to any compliant parser and to one that compares text.
    authorizationUrl: (p) =>
      buildAuthorizationUrl(`${base}/oauth2/auth`, { ...p, clientId: auth.id, scopes: cfg.scopes }).replace(/redirect_uri=[^&]*/, (m) => m.replace(/%3A/gi, ':').replace(/%2F/gi, '/')),
    exchangeCode: (p) => token({ grant_type: 'authorization_code', code: p.code, redirect_uri: p.redirectUri, code_verifier: p.codeVerifier }),
    clientCredentials: () => token({ grant_type: 'client_credentials', scope: cfg.scopes.join(' ') || undefined }),
    refresh: (refreshToken) => token({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    judge: (status) => (status === 401 ? 'token_rejected' : 'ok'),
  };
}
