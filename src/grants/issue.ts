import type { Client } from '../clients/registry.js';
import type { Clock } from '../core/clock.js';
import { decideGrant, type TokenPolicy } from './policy.js';
import type { FormParams } from '../core/form-params.js';
import type { Keystore } from '../tokens/keystore.js';
import { mintAccessToken, type ActClaim } from '../tokens/mint.js';
import { MAX_LINEAGE } from '../tokens/revocations.js';
import { GRANT_INVALID, InvalidGrant } from '../core/oauth-errors.js';
import { requestedAudiences } from './targets.js';
import { requestedScopes, sameScopes, type GrantResult } from './types.js';

export interface MintingDeps {
  keystore: Keystore;
  clock: Clock;
  issuer: string;
  policy: TokenPolicy;
}

/** Who the new token is about, as each grant established it. */
export interface GrantSubject {
  sub: string;
  /** Scope restriction of a subject token; undefined when it brings none. */
  scopes?: readonly string[];
  defaultAudiences: readonly string[];
  expiresAt?: Date;
  act?: ActClaim;
  mayAct?: { sub: string; iss?: string };
  claims?: Record<string, unknown>;
  /** What the new token descends from (see `AccessTokenClaims.lineage`); none for client_credentials. */
  lineage?: readonly string[];
}

/**
 * The step every grant ends with: read `audience`/`resource`/`scope` from the request, let the policy core
 * decide (scope only narrows), and mint the RFC 9068 token for the authenticated client.
 */
export async function decideAndMint(
  deps: MintingDeps,
  form: FormParams,
  client: Client,
  subject: GrantSubject,
  result: Pick<GrantResult, 'audit'> & { issuedTokenType?: string },
): Promise<GrantResult> {
  const scopes = requestedScopes(form);
  if (subject.lineage && subject.lineage.length > MAX_LINEAGE) {
    // Bounded so that the revocation check stays one lookup of a bounded list (tokens/revocations.ts).
    throw new InvalidGrant(GRANT_INVALID, `the subject token already has ${subject.lineage.length - 1} ancestors: a token may have at most ${MAX_LINEAGE}`);
  }
  const decision = decideGrant({
    client,
    subject: {
      defaultAudiences: subject.defaultAudiences,
      ...(subject.scopes ? { scopes: subject.scopes } : {}),
      ...(subject.expiresAt ? { expiresAt: subject.expiresAt } : {}),
    },
    request: { audiences: requestedAudiences(form), scopes },
    policy: deps.policy,
    now: deps.clock.now(),
  });
  const minted = await mintAccessToken(
    {
      sub: subject.sub,
      aud: decision.aud,
      clientId: client.id,
      scope: decision.scope,
      expiresAt: decision.expiresAt,
      act: subject.act,
      mayAct: subject.mayAct,
      lineage: subject.lineage,
      extra: subject.claims ?? {},
    },
    deps,
  );
  return { ...result, minted, sub: subject.sub, aud: decision.aud, scope: decision.scope, scopeDiffers: !sameScopes(scopes, decision.scope) };
}
