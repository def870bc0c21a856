import type { MintedToken } from './mint.js';

/**
 * What issuing a token decides, handed from a grant (grants/, or the upstream release) to the token endpoint
 * (oauth/): the token, the response fields, and what the audit row records. It lives below those features so that
 * both sides of their port name the same type.
 */
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
