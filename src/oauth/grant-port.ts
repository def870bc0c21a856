import type { Client } from '../clients/registry.js';
import type { FormParams } from '../core/form-params.js';
import type { MintedToken } from '../tokens/mint.js';

/**
 * The token endpoint's port to the grants (`grants/` implements one handler per grant_type; compose/ registers
 * them here). What the endpoint reads from a granted token: the response fields and the audit row's.
 */
export interface GrantResult {
  minted: MintedToken;
  issuedTokenType?: string;
  sub: string;
  aud: string[];
  scope: string[];
  /** RFC 6749 §5.1 / RFC 8693 §2.2.1: `scope` is REQUIRED in the response when it differs from the request. */
  scopeDiffers: boolean;
  audit: { subjectTokenType?: string; subjectToken?: string; actor?: string; upstream?: string };
}

/** One handler per grant_type (RFC 6749 §4, RFC 8693, RFC 7522). */
export interface GrantHandler {
  readonly grantType: string;
  handle(form: FormParams, client: Client): Promise<GrantResult>;
}

export type GrantRegistry = ReadonlyMap<string, GrantHandler>;

export function createGrantRegistry(handlers: GrantHandler[]): GrantRegistry {
  const map = new Map<string, GrantHandler>();
  for (const h of handlers) {
    if (map.has(h.grantType)) throw new Error(`two handlers for grant_type ${h.grantType}`);
    map.set(h.grantType, h);
  }
  return map;
}
