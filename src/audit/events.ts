import { z } from 'zod';
import { cut } from '../core/bounded.js';

/**
 * Every audit event, as a closed union: adding an emit site means adding a variant here (no escape hatch).
 * Fields hold ids, `jti` values and hashes only; never a raw token, assertion or secret.
 */
/**
 * Fields a client (or an IdP) chose the value of: cut with a marker rather than refused (a refusal's row must
 * not fail because of what the refused request sent); a cut list ends in `…(+N)`, N more items. Every other
 * limit fails closed, as a bug of ours.
 */
const clientText = (max: number) => z.string().transform((v) => cut(v, max));
const clientList = (max: number, item: z.ZodType<string, string>) =>
  z.array(item).transform((list) => (list.length <= max ? list : [...list.slice(0, max - 1), `…(+${list.length - max + 1})`]));

const common = {
  outcome: z.enum(['success', 'refused', 'error']),
  requestId: z.string().max(128).optional(),
  clientId: clientText(256).optional(),
  subject: clientText(512).optional(),
  audience: clientList(32, clientText(512)).optional(),
  scope: clientList(128, clientText(256)).optional(),
  jti: z.string().max(128).optional(),
  /** The precise refusal reason (the private `detail` of an OAuth error, or a SAML refusal reason). */
  reason: clientText(1024).optional(),
};

const tokenData = z
  .strictObject({
    grant_type: clientText(128),
    subject_token_type: clientText(128).optional(),
    /** The exchanged subject token by reference: its `jti`, or the sha256 of a SAML assertion ID. */
    subject_token: z.string().max(128).optional(),
    actor: clientText(512).optional(),
    expires_in: z.number().int().optional(),
    error: z.string().max(64).optional(),
    /** Token release: the upstream whose access token was handed out; `jti` is then its sha256. */
    upstream: z.string().max(64).optional(),
  });

const launchData = z.strictObject({
  survey: z.string().max(128).optional(),
  idp: z.string().max(128).optional(),
  purpose: z.enum(['launch', 'login', 'admin']).optional(),
  /** sha256 of the signed Assertion/@ID: correlates with the IdP's logs without storing the assertion. */
  assertion: z.string().max(64).optional(),
  expires_in: z.number().int().optional(),
  /** Attribute values dropped by policy (bad scope, bad syntax), by attribute name and reason. */
  dropped: clientList(64, clientText(300)).optional(),
  origin: clientText(300).optional(),
  /** Our id of the request that started the sign-in (its `saml.start` row's): the exact link to that start. */
  start_request: z.string().max(128).optional(),
});

// ── Upstream vault and proxy ──
const upstreamId = z.string().max(64);
const upstreamConnectData = z.strictObject({
  upstream: upstreamId,
  /** How the account was connected: an admin's authorization code, a seeded token, or client credentials. */
  method: z.enum(['authorization_code', 'seed', 'client_credentials']),
  /** start: the admin was sent to the provider; callback: the provider sent them back. */
  stage: z.enum(['start', 'callback']).optional(),
  actor: z.string().max(256).optional(),
  expires_in: z.number().int().optional(),
  error: z.string().max(64).optional(),
});
const upstreamCallData = z.strictObject({
  upstream: upstreamId,
  route: z.string().max(128).optional(),
  method: z.string().max(16),
  /** What the caller got. */
  status: z.number().int(),
  /** What the upstream answered (absent when it was never reached). */
  upstream_status: z.number().int().optional(),
  latency_ms: z.number().int(),
  /** The vaulted token was refreshed after a 401 during this call. */
  refreshed: z.boolean().optional(),
  error: z.string().max(64).optional(),
});
const upstreamRefreshData = z.strictObject({
  upstream: upstreamId,
  grant: z.string().max(32),
  expires_in: z.number().int().optional(),
  /** The provider sent a new refresh token (rotation); it was stored (on an error row: from an unusable answer). */
  rotated: z.boolean().optional(),
  /** needs_reauth: the provider refused the grant or our client (invalid_grant/invalid_client/unauthorized_client). */
  status: z.enum(['connected', 'needs_reauth']).optional(),
  error: z.string().max(64).optional(),
});
const upstreamDisconnectData = z.strictObject({
  upstream: upstreamId,
  actor: z.string().max(256).optional(),
  /** The provider confirmed the revocation (RFC 7009 or the vendor's endpoint); false: revoke it there by hand. */
  revoked: z.boolean(),
  error: z.string().max(64).optional(),
});
const keyRotateMasterData = z.strictObject({
  key_id: z.string().max(64),
  previous_key_ids: z.array(z.string().max(64)).max(8),
  /** Rows re-sealed in this transaction, by table. */
  resealed: z.record(z.string().max(64), z.number().int()),
});

export const auditEventSchema = z.discriminatedUnion('event', [
  /** A browser was sent to an IdP (SP-initiated login), or refused before (unknown survey). */
  z.strictObject({ event: z.literal('saml.start'), ...common, data: launchData }),
  /** A SAML Response at the ACS: every check passed (success) or one failed (refused, with the reason). */
  z.strictObject({ event: z.literal('saml.login'), ...common, data: launchData }),
  /** A survey token minted after a login (success), or refused by the survey's policy. */
  z.strictObject({ event: z.literal('launch.issue'), ...common, data: launchData }),
  /** A one-time launch code redeemed by the survey (success) or refused (unknown, used, expired, origin). */
  z.strictObject({ event: z.literal('launch.redeem'), ...common, data: launchData }),
  z.strictObject({ event: z.literal('token.issue'), ...common, data: tokenData }),
  z.strictObject({
    event: z.literal('token.introspect'),
    ...common,
    data: z.strictObject({ active: z.boolean(), error: z.string().max(64).optional() }),
  }),
  z.strictObject({
    event: z.literal('token.revoke'),
    ...common,
    data: z.strictObject({ revoked: z.boolean(), error: z.string().max(64).optional() }),
  }),
  /**
   * Every token of `subject` issued before `before` revoked (`campus-sts revoke --subject`, the console), and every
   * token of its pairwise subjects (counted, never named). `actor`: the console admin's subject, or `cli:<user>`.
   */
  z.strictObject({
    event: z.literal('subject.revoke'),
    ...common,
    data: z.strictObject({ actor: z.string().max(256), before: z.string().max(40), pairwise_subjects: z.number().int() }),
  }),
  z.strictObject({
    event: z.literal('key.generate'),
    ...common,
    data: z.strictObject({ kid: z.string(), alg: z.string(), retired_kid: z.string().optional() }),
  }),
  // ── Admin console and audit housekeeping ──
  /** An admin console sign-in after a SAML login: a session with a role (success), or no role granted (refused). */
  z.strictObject({
    event: z.literal('admin.login'),
    ...common,
    data: z.strictObject({ idp: z.string().max(128), role: z.enum(['auditor', 'admin']).optional(), assertion: z.string().max(64).optional() }),
  }),
  z.strictObject({ event: z.literal('admin.logout'), ...common, data: z.strictObject({ role: z.enum(['auditor', 'admin']) }) }),
  /** Someone exported audit rows (the filter as given, the format, the newest row the export can contain). */
  z.strictObject({
    event: z.literal('audit.export'),
    ...common,
    data: z.strictObject({ actor: z.enum(['console', 'cli']), format: z.enum(['csv', 'jsonl']), filter: z.string().max(1024), through_id: z.number().int() }),
  }),
  /** Rows older than the retention period removed; the chain now starts at `first_kept_id` with `anchor_hash`. */
  z.strictObject({
    event: z.literal('audit.prune'),
    ...common,
    data: z.strictObject({
      actor: z.enum(['console', 'cli']),
      before: z.string().max(40),
      removed: z.number().int(),
      first_kept_id: z.number().int(),
      anchor_hash: z.string().length(64),
    }),
  }),
  /** A signed checkpoint of the chain head (row `last_id` has hash `head_hash`). */
  z.strictObject({
    event: z.literal('audit.checkpoint'),
    ...common,
    data: z.strictObject({
      trigger: z.enum(['periodic', 'console', 'cli']),
      last_id: z.number().int(),
      head_hash: z.string().length(64),
      rows: z.number().int(),
      kid: z.string().max(128),
    }),
  }),
  z.strictObject({ event: z.literal('upstream.connect'), ...common, data: upstreamConnectData }),
  z.strictObject({ event: z.literal('upstream.call'), ...common, data: upstreamCallData }),
  z.strictObject({ event: z.literal('upstream.refresh'), ...common, data: upstreamRefreshData }),
  z.strictObject({ event: z.literal('upstream.disconnect'), ...common, data: upstreamDisconnectData }),
  z.strictObject({ event: z.literal('key.rotate_master'), ...common, data: keyRotateMasterData }),
  /**
   * Failed client authentications crossed a limit: from now on for `block_seconds`, that client id
   * (`clientId`, as claimed) or that address gets 429 instead of a secret check. One row per block; the
   * requests refused meanwhile are counted in metrics, not logged here one by one.
   */
  z.strictObject({
    event: z.literal('client.throttle'),
    ...common,
    data: z.strictObject({ limit: z.enum(['client', 'source']), source: z.string().max(64).optional(), block_seconds: z.number().int() }),
  }),
  z.strictObject({
    event: z.literal('config.load'),
    ...common,
    data: z.strictObject({ source: z.string().max(1024), sha256: z.string(), clients: z.number().int(), audiences: z.number().int() }),
  }),
]);

export type AuditEvent = z.input<typeof auditEventSchema>;
export type AuditEventName = AuditEvent['event'];
