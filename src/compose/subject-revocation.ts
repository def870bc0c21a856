import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { MasterKeyring } from '../core/sealed-box.js';
import type { GroupCommitter } from '../db/group-commit.js';
import { createPairwiseSubjects } from '../launch/pairwise.js';
import type { ServiceSecretStore } from '../launch/service-secrets.js';
import type { RevokeSubjectPort } from '../admin/revoke-routes.js';
import { revokeSubject } from '../tokens/revoke-subject.js';
import type { RevocationStore } from '../tokens/revocations.js';

export type Pairwise = (subject: string, audience: string) => string;

/**
 * The launch feature's pairwise subjects (one sealed service secret), when an IdP is configured: only a launch
 * mints a pairwise `sub`. Opened once, for the launch feature and for subject-wide revocation alike.
 */
export async function openPairwise(
  config: Config,
  deps: { serviceSecrets: ServiceSecretStore; commit: GroupCommitter['commit']; keyring: MasterKeyring; clock: Clock },
): Promise<Pairwise | undefined> {
  if (config.idps.length === 0) return undefined;
  return createPairwiseSubjects({ secrets: deps.serviceSecrets, commit: deps.commit }, deps.keyring, deps.clock.now());
}

/**
 * `revokeSubject` for this deployment: a subject's pairwise subjects are those of every audience a survey gives
 * pairwise subjects for (computed, never stored), and a token can be accepted until `max_ttl_seconds` plus the
 * clock skew after its `iat`. Used by the console and by `campus-sts revoke`.
 */
export function subjectRevocation(config: Config, deps: { revocations: RevocationStore; audit: AuditLog; clock: Clock; pairwise: Pairwise | undefined }): RevokeSubjectPort {
  const audiences = [...new Set(config.surveys.filter((s) => s.pairwise_subject).map((s) => s.audience))];
  const { pairwise } = deps;
  return (req) =>
    revokeSubject(
      {
        revocations: deps.revocations,
        audit: deps.audit,
        clock: deps.clock,
        aliases: (subject) => (pairwise ? audiences.map((audience) => pairwise(subject, audience)) : []),
        acceptedForSeconds: config.tokens.max_ttl_seconds + config.tokens.clock_skew_seconds,
      },
      req,
    );
}
