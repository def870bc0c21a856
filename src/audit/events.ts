import { z } from 'zod';

/**
 * Every audit event, as a closed union: adding an emit site means adding a variant here (no escape hatch).
 * Fields hold ids, `jti` values and hashes only; never a raw token, assertion or secret.
 */
const common = {
  outcome: z.enum(['success', 'refused', 'error']),
  requestId: z.string().max(128).optional(),
  clientId: z.string().max(256).optional(),
  subject: z.string().max(512).optional(),
  audience: z.array(z.string().max(512)).max(32).optional(),
  scope: z.array(z.string().max(256)).max(128).optional(),
  jti: z.string().max(128).optional(),
  /** The precise refusal reason (the private `detail` of an OAuth error, or a SAML refusal reason). */
  reason: z.string().max(1024).optional(),
};

const tokenData = z
  .strictObject({
    grant_type: z.string().max(128),
    subject_token_type: z.string().max(128).optional(),
    actor: z.string().max(512).optional(),
    expires_in: z.number().int().optional(),
    error: z.string().max(64).optional(),
  });

export const auditEventSchema = z.discriminatedUnion('event', [
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
  z.strictObject({
    event: z.literal('key.generate'),
    ...common,
    data: z.strictObject({ kid: z.string(), alg: z.string(), retired_kid: z.string().optional() }),
  }),
  z.strictObject({
    event: z.literal('config.load'),
    ...common,
    data: z.strictObject({ source: z.string().max(1024), sha256: z.string(), clients: z.number().int(), audiences: z.number().int() }),
  }),
]);

export type AuditEvent = z.input<typeof auditEventSchema>;
export type AuditEventName = AuditEvent['event'];
