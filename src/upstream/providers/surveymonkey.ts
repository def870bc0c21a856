import type { UpstreamConfig } from '../../config/upstream.js';
import { UpstreamTokenError, type AnswerVerdict, type UpstreamProvider } from '../provider.js';
import { buildAuthorizationUrl, stripSlash, type ProviderDeps } from './generic-oauth2.js';
import { requestToken } from './token-request.js';

type SurveyMonkeyConfig = Extract<UpstreamConfig, { provider: 'surveymonkey' }>;

/** The US, EU and Canadian API hosts (SurveyMonkey's `access_url` values). */
export const SURVEYMONKEY_ACCESS_URLS = ['https://api.surveymonkey.com', 'https://api.eu.surveymonkey.com', 'https://api.surveymonkey.ca'];

/** Error ids that mean the token itself is dead: 1011 invalid, 1012 expired, 1013 revoked (401). */
const DEAD_TOKEN_IDS = new Set(['1011', '1012', '1013']);

/**
 * SurveyMonkey API v3 (github.com/SurveyMonkey/public_api_docs): authorization at `/oauth/authorize`, code
 * exchange at `/oauth/token` with client id and secret in the form body, no refresh tokens and no expiry
 * ("long-lived"), `Authorization: bearer …`, and the account's regional API host in the token answer's
 * `access_url`, accepted only from an allow-list of exact origins. A revoked grant shows as a 401 with error id
 * 1011–1013 or as HTTP 200 with `{"status": 1, "errmsg": …}`: both mean an admin must reconnect.
 */
export function createSurveyMonkeyProvider(cfg: SurveyMonkeyConfig, deps: ProviderDeps): UpstreamProvider {
  const base = stripSlash(cfg.base_url);
  const allowed = new Set(cfg.access_urls ?? SURVEYMONKEY_ACCESS_URLS);
  return {
    preset: 'surveymonkey',
    inspectsBodies: true,
    apiBase: (accessUrl) => `${accessUrl ?? base}/v3`,
    authorization: (t) => `bearer ${t}`,
    authorizationUrl: (p) => buildAuthorizationUrl(`${base}/oauth/authorize`, { ...p, clientId: cfg.client_id ?? '', scopes: cfg.scopes }),
    async exchangeCode(p) {
      const { set, raw } = await requestToken({
        fetch: deps.fetch,
        url: `${base}/oauth/token`,
        params: { grant_type: 'authorization_code', code: p.code, redirect_uri: p.redirectUri, code_verifier: p.codeVerifier },
        auth: { id: cfg.client_id ?? '', secret: deps.clientSecret ?? '', method: 'client_secret_post' },
        timeoutMs: cfg.refresh_timeout_ms,
      });
      return { ...set, accessUrl: checkAccessUrl(raw.access_url, allowed) ?? base };
    },
    judge(status, body): AnswerVerdict {
      const id = String(((body as { error?: { id?: unknown } } | null)?.error?.id ?? '') as string);
      if (status === 401) return DEAD_TOKEN_IDS.has(id) || id === '' ? 'token_revoked' : 'token_rejected';
      if (status === 200 && (body as { status?: unknown } | null)?.status === 1) return 'token_revoked';
      return 'ok';
    },
    // SurveyMonkey sends no Retry-After; its reset headers count seconds until the window reopens.
    retryAfter(headers) {
      const dayGone = headers.get('x-ratelimit-app-global-day-remaining') === '0';
      const reset = headers.get(dayGone ? 'x-ratelimit-app-global-day-reset' : 'x-ratelimit-app-global-minute-reset');
      return reset && /^\d{1,6}$/.test(reset) ? reset : undefined;
    },
  };
}

/** `access_url` must be exactly an allowed origin: no path, port or credentials beyond what is listed. */
function checkAccessUrl(value: unknown, allowed: ReadonlySet<string>): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new UpstreamTokenError('malformed', 'access_url_not_a_string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UpstreamTokenError('malformed', 'access_url_invalid');
  }
  if (url.origin !== stripSlash(value) || !allowed.has(url.origin)) throw new UpstreamTokenError('rejected', 'access_url_not_allowed');
  return url.origin;
}
