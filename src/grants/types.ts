import type { Client } from '../clients/registry.js';
import type { FormParams } from '../core/form-params.js';
import type { MintedToken } from '../tokens/mint.js';

/** What a grant hands back: the token, the response fields it decides, and what the audit row records. */
export interface GrantResult {
  minted: MintedToken;
  issuedTokenType?: string;
  sub: string;
  aud: string[];
  scope: string[];
  /** RFC 6749 §5.1 / RFC 8693 §2.2.1: `scope` is REQUIRED in the response when it differs from the request. */
  scopeDiffers: boolean;
  audit: { subjectTokenType?: string; subjectToken?: string; actor?: string; /** A released upstream token: the upstream id. */ upstream?: string };
}

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
