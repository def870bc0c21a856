import { quote } from '../core/bounded.js';
import { GRANT_INVALID, InvalidGrant, InvalidScope, InvalidTarget } from '../core/oauth-errors.js';
import type { ActClaim } from '../tokens/mint.js';

/**
 * The pure policy core of the token endpoint: which audiences, scopes and lifetime a token may have.
 * No I/O, no clock of its own: `now` comes in. Scope only ever narrows:
 * granted = requested ∩ subject's ∩ client's ∩ audience policy.
 */

export interface AudiencePolicy {
  id: string;
  scopes: ReadonlySet<string>;
  maxTtlSeconds?: number | undefined;
}

export interface TokenPolicy {
  audiences: ReadonlyMap<string, AudiencePolicy>;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
}

export interface PolicyClient {
  id: string;
  audiences: ReadonlySet<string>;
  /** The client's default audience (RFC 9068 §3), if it has one. */
  defaultAudience?: string | undefined;
  scopes: ReadonlySet<string>;
  maxTtlSeconds?: number | undefined;
}

/** What the subject brings: for an exchanged token its scope, audience and expiry; for client_credentials nothing. */
export interface PolicySubject {
  scopes?: readonly string[];
  /** Audiences used when the request names none (those the client may receive), before the client's default. */
  defaultAudiences: readonly string[];
  expiresAt?: Date;
}

export interface PolicyRequest {
  audiences: readonly string[];
  /** undefined when the request has no `scope` parameter. */
  scopes: readonly string[] | undefined;
}

export interface GrantDecision {
  aud: string[];
  scope: string[];
  expiresAt: Date;
}

export function decideGrant(input: {
  client: PolicyClient;
  subject: PolicySubject;
  request: PolicyRequest;
  policy: TokenPolicy;
  now: Date;
}): GrantDecision {
  const { client, subject, request, policy, now } = input;
  const aud = decideAudiences(client, subject, request, policy);
  const scope = decideScopes(client, subject, request, aud.map((a) => policy.audiences.get(a)!));
  const ttl = Math.min(
    policy.defaultTtlSeconds,
    policy.maxTtlSeconds,
    client.maxTtlSeconds ?? Infinity,
    ...aud.map((a) => policy.audiences.get(a)!.maxTtlSeconds ?? Infinity),
  );
  let expiresAt = new Date(now.getTime() + ttl * 1000);
  // RFC 8693 §2.1: the new token must not outlive what it was exchanged for.
  if (subject.expiresAt && subject.expiresAt < expiresAt) expiresAt = subject.expiresAt;
  if (expiresAt.getTime() - now.getTime() < 1000) throw new InvalidGrant(GRANT_INVALID, 'subject token has no remaining lifetime');
  return { aud, scope, expiresAt };
}

function decideAudiences(client: PolicyClient, subject: PolicySubject, request: PolicyRequest, policy: TokenPolicy): string[] {
  const targets = [...new Set(request.audiences)];
  if (targets.length === 0) targets.push(...defaultAudiences(client, subject));
  for (const a of targets) {
    if (!policy.audiences.has(a)) throw new InvalidTarget('the requested audience is not known', `unknown audience ${quote(a)}`);
    if (!client.audiences.has(a)) throw new InvalidTarget('the requested audience is not allowed for this client', `client ${client.id} may not receive audience ${quote(a)}`);
  }
  return targets;
}

/**
 * RFC 9068 §3: a request without `audience`/`resource` MUST get a default audience: the subject token's own
 * (those this client may receive: an exchange keeps its audience unless asked to move), else the client's
 * default. Without either, RFC 8707 §2 lets us require the parameter, with `invalid_target`.
 */
function defaultAudiences(client: PolicyClient, subject: PolicySubject): string[] {
  const fromSubject = subject.defaultAudiences.filter((a) => client.audiences.has(a));
  if (fromSubject.length > 0) return fromSubject;
  if (client.defaultAudience !== undefined) return [client.defaultAudience];
  throw new InvalidTarget(
    'an audience or resource is required: this client has no default audience',
    `no audience or resource requested, none from the subject, and client ${client.id} has no default_audience`,
  );
}

function decideScopes(client: PolicyClient, subject: PolicySubject, request: PolicyRequest, audiences: AudiencePolicy[]): string[] {
  const byAudience = new Set(audiences.flatMap((a) => [...a.scopes]));
  const reasons: [string, (s: string) => boolean][] = [
    ['the client', (s) => client.scopes.has(s)],
    ['the audience policy', (s) => byAudience.has(s)],
  ];
  if (subject.scopes) {
    const subjectScopes = new Set(subject.scopes);
    reasons.unshift(['the subject token', (s) => subjectScopes.has(s)]);
  }
  if (request.scopes === undefined) {
    const base = subject.scopes ?? [...client.scopes];
    return base.filter((s) => reasons.every(([, allows]) => allows(s)));
  }
  const requested = [...new Set(request.scopes)];
  for (const s of requested) {
    const refusal = reasons.find(([, allows]) => !allows(s));
    if (refusal) throw new InvalidScope('the requested scope is not allowed', `scope ${quote(s)} is not allowed by ${refusal[0]}`);
  }
  return requested;
}

/**
 * Delegation (RFC 8693 §1.1, §4.1, §4.4): with an actor the new token's `act` names the actor, nesting the
 * subject token's own `act` as a prior actor; the subject's `may_act` (if any) must name that actor.
 * Without an actor the subject token's `act` is carried over unchanged.
 */
export function decideActor(subject: { act?: ActClaim; mayAct?: { sub: string; iss?: string } }, actor?: { sub: string; iss: string }): ActClaim | undefined {
  if (!actor) return subject.act;
  if (subject.mayAct && (subject.mayAct.sub !== actor.sub || (subject.mayAct.iss !== undefined && subject.mayAct.iss !== actor.iss))) {
    throw new InvalidGrant(GRANT_INVALID, `actor "${actor.sub}" is not allowed by the subject token's may_act`);
  }
  return { sub: actor.sub, ...(subject.act ? { act: subject.act } : {}) };
}

/** RFC 8707 §2: a resource is an absolute URI without a fragment. */
export function checkResourceIndicator(resource: string): void {
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    throw new InvalidTarget('resource must be an absolute URI', `resource ${quote(resource)} is not an absolute URI`);
  }
  if (url.hash) throw new InvalidTarget('resource must not contain a fragment', 'resource has a fragment');
}
