import type { UpstreamConfig } from '../../config/upstream.js';
import type { UpstreamProvider } from '../provider.js';
import { buildAuthorizationUrl, stripSlash, type ProviderDeps } from './generic-oauth2.js';
import { postForTokens, requestToken, type TokenClientAuth } from './token-request.js';

type ApplyConfig = Extract<UpstreamConfig, { provider: 'surveymonkey-apply' }>;

/**
 * SurveyMonkey Apply Connect (connect.smapply.io/pages/authentication.html), per site: refresh at
 * `{site}/api/o/token/` with grant_type, client_id, client_secret and refresh_token in the form body ("not
 * being sent in the url"); access tokens last two hours (`expires_in` 7200, honoured as sent); every refresh
 * returns a new refresh token (django-oauth-toolkit rotates by default) that the vault stores before use.
 * Revocation at `{site}/api/o/revoke_token/` with the JSON body the documentation shows (client_id,
 * client_secret, token, token_hint). The authorization endpoint `/api/o/authorize/` is the django-oauth-toolkit
 * convention; the documented way in is the credentials an admin generates (grant refresh_token).
 */
export function createSurveyMonkeyApplyProvider(cfg: ApplyConfig, deps: ProviderDeps): UpstreamProvider {
  const site = stripSlash(cfg.site_url);
  const auth: TokenClientAuth = { id: cfg.client_id ?? '', secret: deps.clientSecret ?? '', method: 'client_secret_post' };
  const token = (params: Record<string, string | undefined>) =>
    requestToken({ fetch: deps.fetch, url: `${site}/api/o/token/`, params, auth, timeoutMs: cfg.refresh_timeout_ms }).then((r) => r.set);
  return {
    preset: 'surveymonkey-apply',
    inspectsBodies: false,
    apiBase: () => `${site}/api`,
    authorization: (t) => `Bearer ${t}`,
    authorizationUrl: (p) => buildAuthorizationUrl(`${site}/api/o/authorize/`, { ...p, clientId: auth.id, scopes: cfg.scopes }),
    exchangeCode: (p) => token({ grant_type: 'authorization_code', code: p.code, redirect_uri: p.redirectUri, code_verifier: p.codeVerifier }),
    refresh: (refreshToken) => token({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    async revoke(t) {
      const body = JSON.stringify({ client_id: auth.id, client_secret: auth.secret, token: t.value, token_hint: t.hint === 'refresh_token' ? 'refresh' : 'access' });
      const { status } = await postForTokens(deps.fetch, `${site}/api/o/revoke_token/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }, cfg.timeout_ms);
      if (status !== 200) throw new Error(`revocation answered ${status}`);
    },
    judge: (status) => (status === 401 ? 'token_rejected' : 'ok'),
  };
}
