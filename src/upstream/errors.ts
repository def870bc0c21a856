import { BadGateway, GatewayTimeout, OAuthError, TemporarilyUnavailable } from '../core/oauth-errors.js';
import { UpstreamTokenError } from './provider.js';

/**
 * The vault's refusals, as OAuth errors so that `http/errors.ts` (the one mapping) answers them. Descriptions
 * are for the caller (a survey); the upstream's own error text only ever reaches `detail` (logs and audit).
 */

/** No usable connection: never connected, or disconnected (503, try later; an admin must act). */
export class UpstreamNotConnected extends TemporarilyUnavailable {}

/** The provider refused the grant (invalid_grant, a revoked token): only an admin reconnecting helps (503). */
export class UpstreamNeedsReauthorization extends TemporarilyUnavailable {}

export const notConnected = (upstream: string, detail: string) =>
  new UpstreamNotConnected('the upstream account is not connected; an administrator must connect it', `upstream ${upstream}: ${detail}`);

export const needsReauthorization = (upstream: string, detail: string) =>
  new UpstreamNeedsReauthorization('the upstream account needs to be re-authorised by an administrator', `upstream ${upstream}: ${detail}`);

/** A failed token request as the caller sees it: 504 when it timed out, 502 otherwise. */
export function tokenFailure(upstream: string, err: UpstreamTokenError): OAuthError {
  const detail = `upstream ${upstream} token endpoint: ${err.kind} (${err.code})`;
  if (err.kind === 'timeout') return new GatewayTimeout('the upstream did not answer in time', detail, { cause: err });
  return new BadGateway('the upstream could not provide credentials', detail, { cause: err });
}

/** A short code for the audit row's `error` field. */
export function auditErrorCode(err: unknown): string {
  if (err instanceof UpstreamNotConnected) return 'not_connected';
  if (err instanceof UpstreamNeedsReauthorization) return 'needs_reauth';
  if (err instanceof GatewayTimeout) return 'timeout';
  if (err instanceof BadGateway) return 'bad_gateway';
  if (err instanceof OAuthError) return err.code;
  return 'server_error';
}
