import type { Context } from 'hono';
import type { AuditLog } from '../audit/audit-log.js';
import type { SurveyConfig } from '../config/schema.js';
import { quote } from '../core/bounded.js';
import type { Clock } from '../core/clock.js';
import { AccessDenied, InvalidGrant, InvalidRequest } from '../core/oauth-errors.js';
import { oauthRefusal, withRefusalAudit } from '../audit/refusal.js';
import { commitAudited } from '../audit/commit.js';
import type { Keystore } from '../tokens/keystore.js';
import { mintAccessToken } from '../tokens/mint.js';
import type { RevocationStore } from '../tokens/revocations.js';
import { revocationKeysOf, revocationReason } from '../tokens/verify.js';
import { sha256b64u } from '../core/hash.js';
import type { Tx } from '../db/tx.js';
import { BrowserRefusal } from '../http/browser-refusal.js';
import type { AppEnv } from '../http/env.js';
import type { SamlLogin } from '../saml/types.js';
import type { LaunchCodeStore, SpentLaunchCode } from './launch-codes.js';
import { decideSurvey, redeemFields } from './survey-policy.js';

/** How long a launch code lives: long enough for the survey platform's first page load, no longer. */
export const LAUNCH_CODE_TTL_SECONDS = 60;
const CODE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface LaunchDeps {
  surveys: ReadonlyMap<string, SurveyConfig>;
  /** The IdP a survey uses when it names none (exactly one IdP configured). */
  defaultIdp: string | undefined;
  /** Port: starts a sign-in bound to this browser (the SSO feature's, handed in by compose/). */
  signIn(c: Context<AppEnv>, req: { idpId: string; purpose: 'launch'; target: string }): Promise<Response>;
  codes: LaunchCodeStore;
  audit: AuditLog;
  clock: Clock;
  keystore: Keystore;
  /** Checked at redemption: the code's token may have been revoked since it was issued. */
  revocations: RevocationStore;
  issuer: string;
  tokens: { defaultTtlSeconds: number; maxTtlSeconds: number };
  pairwise: (subject: string, audience: string) => string;
}

/** The data of the `saml.login` row the SSO feature wrote; the `launch.issue` rows repeat it. */
interface LoginRowData {
  idp: string;
  assertion: string;
  dropped?: string[];
  purpose: 'launch' | 'login' | 'admin';
  survey?: string;
  /** The request that started the sign-in: the `launch.issue` rows carry the exact link to their start too. */
  start_request?: string;
}

/**
 * A login the SSO feature finishes for a survey launch (this feature is its `LoginCompletion` for purpose
 * `launch`): `finish` consumes the pending login and writes the `saml.login` row, then runs our work in that
 * transaction.
 */
export interface LaunchLogin {
  login: SamlLogin;
  target: string | undefined;
  requestId: string;
  finish<T>(extra: { survey: string }, work: (tx: Tx, data: LoginRowData) => Promise<T>): Promise<T>;
}

/** Why a code did not redeem (the refusal's private reason), by what is kept of it. */
function unredeemable(spent: SpentLaunchCode | undefined): string {
  if (!spent) return 'launch code is unknown';
  return spent.redeemedAt ? 'launch code already used' : 'launch code expired';
}

/** The survey token's `client_id` (RFC 9068 §2.2): the survey the respondent launched. */
export const surveyClientId = (surveyId: string) => `survey:${surveyId}`;

/**
 * Flow 1 (SSO-gated survey launch) and flow 2 (embedded-field retrieval): start the login for a survey, turn an
 * accepted login into a token and a one-time code, and redeem the code once.
 */
// long: closure scope of the launch module: `complete` and the methods it returns share deps and the origin set.
export function createLaunchService(deps: LaunchDeps) {
  const allOrigins = new Set([...deps.surveys.values()].flatMap((s) => s.origins));

  /** Applies the survey's policy to a finished login; on success returns the survey URL with a fresh code. */
  async function complete({ login, target, requestId, finish }: LaunchLogin): Promise<string> {
    const survey = deps.surveys.get(target!)!;
    const now = deps.clock.now();
    const { refusal, released, failures } = decideSurvey(survey, login);
    // Survey rules that failed join the login's dropped values on the launch row.
    const withFailures = <T extends { dropped?: string[] }>(data: T): T =>
      failures.length === 0 ? data : { ...data, dropped: [...(data.dropped ?? []), ...failures.map((f) => `${f.claim}: rule_failed`)] };
    if (refusal) {
      await finish({ survey: survey.id }, async (tx, data) => {
        await deps.audit.append(tx, { event: 'launch.issue', outcome: 'refused', requestId, subject: login.subject, reason: refusal.reason, data: withFailures(data) });
      });
      throw new BrowserRefusal(
        403,
        {
          title: 'This survey is not open to you',
          message: refusal.message,
          whatToDo: 'If you think you should be able to take it, contact the survey owner and quote the reference below.',
        },
        refusal.reason,
      );
    }

    const sub = survey.pairwise_subject ? deps.pairwise(login.subject, survey.audience) : login.subject;
    const ttl = Math.min(survey.ttl_seconds ?? deps.tokens.defaultTtlSeconds, deps.tokens.maxTtlSeconds);
    let expiresAt = new Date(now.getTime() + ttl * 1000);
    if (login.sessionNotOnOrAfter && login.sessionNotOnOrAfter < expiresAt) expiresAt = login.sessionNotOnOrAfter;
    const minted = await mintAccessToken(
      // It descends from the assertion (its ID's hash, as the login row names it).
      { sub, aud: [survey.audience], clientId: surveyClientId(survey.id), scope: survey.scopes, expiresAt, extra: released, lineage: [sha256b64u(login.assertionId)] },
      deps,
    );
    const code = await finish({ survey: survey.id }, async (tx, data) => {
      const issued = await deps.codes.issue(tx, {
        surveyId: survey.id,
        jti: minted.jti,
        fields: redeemFields({ jwt: minted.token, expiresAt: minted.expiresAt, sub }, released),
        now,
        ttlSeconds: LAUNCH_CODE_TTL_SECONDS,
      });
      await deps.audit.append(tx, {
        event: 'launch.issue',
        outcome: 'success',
        requestId,
        clientId: surveyClientId(survey.id),
        subject: sub,
        audience: [survey.audience],
        scope: survey.scopes,
        jti: minted.jti,
        data: { ...withFailures(data), expires_in: minted.expiresIn },
      });
      return issued;
    });
    const url = new URL(survey.url);
    url.searchParams.set(survey.code_param, code);
    return url.toString();
  }

  return {
    allOrigins,

    /** GET /launch/{survey}: starts the sign-in for a known survey. */
    async start(c: Context<AppEnv>, surveyId: string): Promise<Response> {
      const requestId = c.get('requestId');
      const survey = deps.surveys.get(surveyId);
      if (!survey) {
        throw new BrowserRefusal(
          404,
          { title: 'Survey not found', message: 'This survey link is not known here.', whatToDo: 'Check the link you were given, or ask the survey owner for a new one.' },
          `unknown survey ${quote(surveyId, 64)}`,
          { event: 'saml.start', outcome: 'refused', requestId, reason: `unknown survey ${quote(surveyId, 64)}`, data: { purpose: 'launch' } },
        );
      }
      return deps.signIn(c, { idpId: survey.idp ?? deps.defaultIdp!, purpose: 'launch', target: survey.id });
    },

    /** The login completion for purpose `launch` (compose/ registers it with the SSO feature). */
    completion: {
      purpose: 'launch' as const,
      accepts: (target: string | undefined) => target !== undefined && deps.surveys.has(target),
      async complete(c: Context<AppEnv>, launch: LaunchLogin): Promise<Response> {
        const url = await complete(launch);
        c.header('Cache-Control', 'no-store');
        return c.redirect(url, 303);
      },
    },
    /**
     * Flow 2: the survey redeems its code (server-side, or over CORS from an allowed origin). The code is
     * consumed in the transaction that audits it; a refusal rolls the consumption back only when the code was
     * presented from an origin the survey does not allow (so a foreign page cannot burn it).
     */
    redeem(req: { readCode(): Promise<string | undefined>; origin: string | undefined; requestId: string }): Promise<Record<string, string>> {
      // Whose code it was, once known (also for a replayed or expired one): the refusal row is attributed to it.
      let code: { surveyId: string; jti: string } | undefined;
      return withRefusalAudit(
        deps,
        oauthRefusal((err) => ({
          event: 'launch.redeem',
          outcome: 'refused',
          requestId: req.requestId,
          reason: err.detail,
          ...(code ? { clientId: surveyClientId(code.surveyId), jti: code.jti } : {}),
          data: { ...(code ? { survey: code.surveyId } : {}), ...(req.origin ? { origin: req.origin } : {}) },
        })),
        async () => {
          const { origin } = req;
          const presented = await req.readCode();
          if (origin !== undefined && !allOrigins.has(origin)) throw new AccessDenied('this origin may not redeem launch codes', `origin ${quote(origin, 200)} is not allowed`);
          if (presented === undefined) throw new InvalidRequest('code is required');
          if (!CODE_SHAPE.test(presented)) throw new InvalidRequest('code is malformed');
          const now = deps.clock.now();
          return commitAudited(deps, async (tx) => {
            const redeemed = await deps.codes.redeem(tx, presented, now);
            if (!redeemed) {
              const spent = await deps.codes.spent(tx, presented);
              code = spent;
              throw new InvalidGrant('the launch code is invalid, expired or already used', unredeemable(spent));
            }
            code = redeemed;
            const survey = deps.surveys.get(redeemed.surveyId);
            if (origin !== undefined && !survey?.origins.includes(origin)) {
              throw new AccessDenied('this origin may not redeem this survey’s codes', `origin ${quote(origin, 200)} is not allowed for survey ${redeemed.surveyId}`);
            }
            // A code whose token was revoked meanwhile (its subject cut off) is dead: answered as an unknown code.
            const revocation = await deps.revocations.revocationOf(revocationKeysOf(redeemed.fields.token!));
            if (revocation) throw new InvalidGrant('the launch code is invalid, expired or already used', `launch ${revocationReason(revocation)}`);
            await deps.audit.append(tx, {
              event: 'launch.redeem',
              outcome: 'success',
              requestId: req.requestId,
              clientId: surveyClientId(redeemed.surveyId),
              jti: redeemed.jti,
              data: { survey: redeemed.surveyId, ...(origin ? { origin } : {}) },
            });
            const expiresIn = Math.max(0, Math.floor((Date.parse(redeemed.fields.token_expires_at!) - now.getTime()) / 1000));
            return { ...redeemed.fields, token_expires_in: String(expiresIn) };
          });
        },
      );
    },
  };
}

export type LaunchService = ReturnType<typeof createLaunchService>;
