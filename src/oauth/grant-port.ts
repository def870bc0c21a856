import type { Client } from '../clients/registry.js';
import type { FormParams } from '../core/form-params.js';
import type { GrantResult } from '../tokens/grant-result.js';

export type { GrantResult } from '../tokens/grant-result.js';

/**
 * The token endpoint's port to the grants: one handler per grant_type (RFC 6749 §4, RFC 8693, RFC 7522);
 * `grants/` implements them and compose/ registers them here.
 */
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
