import type { Client } from '../clients/registry.js';
import type { TokenTypeUri } from '../core/constants.js';
import type { ActClaim } from '../tokens/mint.js';

/** A validated subject (or actor) token, whatever its type. */
export interface Subject {
  sub: string;
  /** Scopes the subject token carries; undefined when it carries no scope restriction (a SAML assertion). */
  scopes?: string[];
  /** Audiences the new token defaults to when the request names none. */
  audiences: string[];
  expiresAt?: Date;
  act?: ActClaim;
  mayAct?: { sub: string; iss?: string };
  /** The issuer that vouches for `sub` (our issuer, or an IdP entityID); compared with `may_act.iss`. */
  issuer: string;
  /** Released claims carried into the new token. */
  claims: Record<string, unknown>;
  /** What the audit row names the subject token by: a `jti` or a hash, never the token. */
  reference: string;
  /** The lineage of a token minted from this one: the subject token's own lineage, then its `reference`. */
  lineage: string[];
}

/** One handler per `subject_token_type` (RFC 8693 §3), registered at start (compose/ hands them in: exchange/ implements this port without importing it). */
export interface SubjectTokenHandler {
  readonly tokenType: TokenTypeUri;
  validate(token: string, ctx: { client: Client }): Promise<Subject>;
}

export type SubjectTokenRegistry = ReadonlyMap<string, SubjectTokenHandler>;

/** Builds the registry; two handlers for one type is a wiring mistake and fails at start. */
export function createSubjectTokenRegistry(handlers: SubjectTokenHandler[]): SubjectTokenRegistry {
  const map = new Map<string, SubjectTokenHandler>();
  for (const h of handlers) {
    if (map.has(h.tokenType)) throw new Error(`two subject token handlers for ${h.tokenType}`);
    map.set(h.tokenType, h);
  }
  return map;
}
