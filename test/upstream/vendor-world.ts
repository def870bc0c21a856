import { SURVEYMONKEY_ACCESS_URLS } from '../../src/upstream/providers/surveymonkey.js';
import { startTestService } from '../helpers/service.js';
import { startApplyFake, startQualtricsFake, startSurveyMonkeyFake, type ApplyFake, type QualtricsFake, type SurveyMonkeyFake } from '../support/oauth/vendors.js';
import { studentToken, worldEnv, type TestService } from './world.js';

/**
 * The vendor test world: servers shaped like Qualtrics, SurveyMonkey and SurveyMonkey Apply (vendors.ts), and a
 * campus-sts test service (real SQLite, fixed clock) with one upstream on each: `qualtrics` (client
 * credentials), `surveymonkey` (authorization code) and `apply` (a seeded, rotating refresh token).
 */

export const QUALTRICS = { id: 'campus-qualtrics', secret: 'q-secret' };
export const SM = { id: 'sm-client', secret: 'sm-secret' };
export const APPLY = { id: 'apply-client', secret: 'apply-secret' };

export interface Vendors {
  q: QualtricsFake;
  sm: SurveyMonkeyFake;
  apply: ApplyFake;
  stop(): Promise<void>;
}

export async function startVendors(): Promise<Vendors> {
  const [q, sm, apply] = await Promise.all([startQualtricsFake(QUALTRICS), startSurveyMonkeyFake(SM), startApplyFake(APPLY)]);
  return { q, sm, apply, stop: async () => void (await Promise.all([q.stop(), sm.stop(), apply.stop()])) };
}

/** The service's environment, with freshly generated Apply credentials (each one kills the previous set). */
export function vendorEnv(v: Vendors, patch: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const apply = v.apply.generateCredentials();
  return { ...worldEnv(), QUALTRICS_SECRET: QUALTRICS.secret, SM_SECRET: SM.secret, APPLY_SECRET: apply.clientSecret, APPLY_REFRESH: apply.refreshToken, ...patch };
}

export interface VendorServiceOptions {
  dir?: string;
  env?: NodeJS.ProcessEnv;
  applySeedEnv?: string;
  /** Extra settings of the `apply` upstream (timeouts, …). */
  apply?: Record<string, unknown>;
}

export function startVendorService(v: Vendors, opts: VendorServiceOptions = {}): Promise<TestService> {
  return startTestService({
    ...(opts.dir ? { dir: opts.dir } : {}),
    startAt: new Date(),
    env: opts.env ?? vendorEnv(v),
    overrides: vendorOverrides(v, opts),
  });
}

/** The config of the vendor world (one upstream per vendor), for services started otherwise (test/ha/). */
export function vendorOverrides(v: Vendors, opts: Pick<VendorServiceOptions, 'applySeedEnv' | 'apply'> = {}) {
  const route = (path: string, scope = 'survey.read', extra: Record<string, unknown> = {}) => ({ method: 'GET', path, scope, ...extra });
  return {
    audiences: [
      { id: 'qualtrics', scopes: ['survey.read'] },
      { id: 'surveymonkey', scopes: ['survey.read'] },
      { id: 'apply', scopes: ['survey.read'] },
    ],
    clients: [],
    upstream_admin: { token_env: 'ADMIN_TOKEN' },
    upstreams: [
      {
        id: 'qualtrics',
        provider: 'qualtrics',
        base_url: v.q.origin,
        grant: 'client_credentials',
        client_id: QUALTRICS.id,
        client_secret_env: 'QUALTRICS_SECRET',
        scopes: ['read:surveys', 'read:survey_responses'],
        routes: [route('/whoami')],
      },
      {
        id: 'surveymonkey',
        provider: 'surveymonkey',
        base_url: v.sm.origin,
        access_urls: [v.sm.regional.origin, ...SURVEYMONKEY_ACCESS_URLS],
        grant: 'authorization_code',
        client_id: SM.id,
        client_secret_env: 'SM_SECRET',
        routes: [route('/users/me')],
      },
      {
        id: 'apply',
        provider: 'surveymonkey-apply',
        site_url: v.apply.origin,
        grant: 'refresh_token',
        client_id: APPLY.id,
        client_secret_env: 'APPLY_SECRET',
        refresh_token_env: opts.applySeedEnv ?? 'APPLY_REFRESH',
        routes: [route('/applications/')],
        ...opts.apply,
      },
    ],
  };
}

/** A respondent's token for one of the vendor upstreams. */
export const vendorToken = (s: TestService, aud: string) => studentToken(s, { aud: [aud], scope: ['survey.read'] });
