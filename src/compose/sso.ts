import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { createSaml2Handler } from '../exchange/subject-tokens/saml2.js';
import type { SubjectTokenHandler } from '../grants/subject-tokens.js';
import type { MintingDeps } from '../grants/issue.js';
import { createSaml2BearerGrant } from '../grants/saml2-bearer.js';
import type { GrantHandler } from '../grants/types.js';
import type { AppEnv } from '../http/env.js';
import { launchRoutes } from '../launch/routes.js';
import type { Pairwise } from './subject-revocation.js';
import { createSignIn, samlRoutes, type LoginCompletion, type StartSignIn } from '../sso/routes.js';
import type { LaunchCodeStore } from '../launch/launch-codes.js';
import type { RevocationStore } from '../tokens/revocations.js';
import { createLaunchService } from '../launch/launch-service.js';
import type { Hono } from 'hono';
import type { AssertionReplayStore } from '../saml/types.js';
import { buildServiceProvider, type IdpMetadataStatus } from '../sso/build-service-provider.js';
import type { PendingLoginStore } from '../sso/pending-logins.js';
import { createSsoService } from '../sso/sso-service.js';

export interface SsoModule {
  subjectTokens: SubjectTokenHandler[];
  grants: GrantHandler[];
  routes: Hono<AppEnv>[];
  /** Browser sign-in, for other features' logins (the admin console); undefined when no IdP is configured. */
  browserSignIn?: { start: StartSignIn; metadata: IdpMetadataStatus[] };
}

/**
 * Wires SAML sign-in, survey launches and SAML subject tokens from the config. With no IdP configured it adds
 * nothing (the core token service runs on its own).
 */
export async function composeSso(opts: {
  config: Config;
  audit: AuditLog;
  stores: { pendingLogins: PendingLoginStore; launchCodes: LaunchCodeStore; samlReplay: AssertionReplayStore; revocations: RevocationStore };
  clock: Clock;
  /** The pairwise subjects (compose/subject-revocation.ts `openPairwise`): there whenever an IdP is configured. */
  pairwise: Pairwise | undefined;
  minting: MintingDeps;
  tokenEndpoint: string;
  /** Features that finish the sign-ins started for their purpose (the admin console); the launch feature is built here. */
  completions: LoginCompletion[];
}): Promise<SsoModule> {
  const { config, audit, clock, minting } = opts;
  const built = await buildServiceProvider(config, minting.issuer, { clock, replay: opts.stores.samlReplay });
  if (!built) return { subjectTokens: [], grants: [], routes: [] };
  const pending = opts.stores.pendingLogins;
  const loginTtlSeconds = config.saml.login_ttl_seconds;
  const sso = createSsoService({ sp: built.sp, pending, audit, clock, loginTtlSeconds });
  const signIn = createSignIn({ sso, loginTtlSeconds });
  const launch = createLaunchService({
    surveys: new Map(config.surveys.map((s) => [s.id, s])),
    defaultIdp: built.defaultIdp,
    signIn,
    codes: opts.stores.launchCodes,
    audit,
    clock,
    keystore: minting.keystore,
    revocations: opts.stores.revocations,
    issuer: minting.issuer,
    tokens: { defaultTtlSeconds: config.tokens.default_ttl_seconds, maxTtlSeconds: config.tokens.max_ttl_seconds },
    // Opened with the IdPs (openPairwise): every configured IdP means it is there.
    pairwise: opts.pairwise!,
  });
  const saml2 = createSaml2Handler({ sp: built.sp, tokenEndpoint: opts.tokenEndpoint });
  return {
    subjectTokens: [saml2],
    grants: [createSaml2BearerGrant({ ...minting, saml2 })],
    routes: [
      samlRoutes({ audit, sp: built.sp, sso, defaultIdp: built.defaultIdp, loginTtlSeconds, maxResponseBytes: config.saml.max_response_bytes, completions: [launch.completion, ...opts.completions] }),
      launchRoutes({ launch, audit }),
    ],
    browserSignIn: { start: signIn, metadata: built.metadata },
  };
}
