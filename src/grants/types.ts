import type { Client } from '../clients/registry.js';
import type { FormParams } from '../core/form-params.js';
import type { GrantResult } from '../tokens/grant-result.js';

export type { GrantResult } from '../tokens/grant-result.js';

/** One handler per grant_type (RFC 6749 §4, RFC 8693, RFC 7522). */
export interface GrantHandler {
  readonly grantType: string;
  handle(form: FormParams, client: Client): Promise<GrantResult>;
}

/** The `scope` request parameter (RFC 6749 §3.3): space-delimited, undefined when absent. */
export function requestedScopes(form: FormParams): string[] | undefined {
  const scope = form.single('scope');
  return scope === undefined ? undefined : scope.split(' ').filter(Boolean);
}

export function sameScopes(requested: readonly string[] | undefined, granted: readonly string[]): boolean {
  if (requested === undefined) return false;
  const r = new Set(requested);
  return r.size === granted.length && granted.every((s) => r.has(s));
}
